import ArgumentParser
import BulwarkCrypto
import Foundation

/// `bulwark he paillier bench`: operations per second.
struct HEPaillierBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Paillier operations per second: encrypt, decrypt, add, scalar multiply (one thread, then all cores).",
        discussion: """
        Values and scalars are random doubles in [-1000, 1000) (python-paillier encoding, 53-bit \
        mantissas); each operation runs for --seconds on one thread, then as a batch over all cores. \
        Benchmarks/he/paillier-bench.sh runs it next to phe + gmpy2 and prints the ratios.

          bulwark he paillier bench --bits 2048 --seconds 3 --json
        """
    )
    @Option(help: "Key size in bits.") var bits = 2048
    @Option(help: "Seconds per measurement.") var seconds = 3.0
    @Flag(help: "Print JSON.") var json = false

    struct Rates: Encodable {
        var encrypt: Double, decrypt: Double, add: Double, multiply: Double
    }
    struct Result: Encodable {
        var bits: Int, cores: Int
        var singleThread: Rates, allCores: Rates
        enum CodingKeys: String, CodingKey { case bits, cores, singleThread = "single_thread", allCores = "all_cores" }
    }

    func run() throws {
        guard seconds > 0, seconds <= 600 else { throw ValidationError("--seconds must be in (0, 600]") }
        let (pub, priv) = try PaillierKeyPair.generate(bits: bits, insecureForTests: bits < 1024)
        var rng = SystemRandomNumberGenerator()
        let values = (0..<256).map { _ in Double.random(in: -1000..<1000, using: &rng) }
        let scalars = (0..<256).map { _ in Double.random(in: -1000..<1000, using: &rng) }
        let cts = try pub.encrypt(values)

        var i = 0
        let single = Rates(
            encrypt: try rate { _ = try pub.encrypt(values[i & 255]); i += 1 },
            decrypt: try rate { _ = try priv.decrypt(cts[i & 255]); i += 1 },
            add: try rate { _ = try pub.add(cts[i & 255], cts[(i + 1) & 255]); i += 1 },
            multiply: try rate { _ = try pub.multiply(cts[i & 255], by: scalars[i & 255]); i += 1 })
        let batch = 64
        let parallel = Rates(
            encrypt: try rate(per: batch) { _ = try pub.encrypt(Array(values.prefix(batch))) },
            decrypt: try rate(per: batch) { _ = try priv.decrypt(Array(cts.prefix(batch))) },
            add: try rate(per: 256) { _ = try pub.add(cts, Array(cts.reversed())) },
            multiply: try rate(per: batch) { _ = try pub.multiply(Array(cts.prefix(batch)), by: Array(scalars.prefix(batch))) })
        let result = Result(bits: bits, cores: ProcessInfo.processInfo.activeProcessorCount, singleThread: single, allCores: parallel)
        if json { return try printJSON(result) }
        print("Paillier-\(bits), operations per second")
        print("operation   1 thread   \(result.cores) cores")
        for (name, a, b) in [("encrypt", single.encrypt, parallel.encrypt), ("decrypt", single.decrypt, parallel.decrypt),
                             ("add", single.add, parallel.add), ("multiply", single.multiply, parallel.multiply)] {
            print(name.padding(toLength: 10, withPad: " ", startingAt: 0), String(format: "%9.1f  %9.1f", a, b))
        }
    }

    /// Calls `body` (which does `per` operations) until --seconds have passed; operations per second.
    func rate(per: Int = 1, _ body: () throws -> Void) throws -> Double {
        try body()   // warm up
        let start = DispatchTime.now().uptimeNanoseconds
        var count = 0, elapsed = 0.0
        repeat {
            try body()
            count += per
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < seconds
        return Double(count) / elapsed
    }
}
