import Foundation
import Testing

/// `bulwark mpc`: a secure inference across three party processes over loopback TLS, and parties
/// that are missing or killed mid-run ending the others with one line naming them.
@Suite struct MPCCLITests {
    /// An N×784 float32 .npy of `value`.
    static func writeImages(_ path: String, count: Int, value: Float) throws {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(count), 784), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data += Data(header.utf8)
        let values = [Float](repeating: value, count: count * 784)
        values.withUnsafeBytes { data += Data($0) }
        try data.write(to: URL(fileURLWithPath: path))
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func inferAcrossProcessesAndAbortsNamingTheMissingParty() throws {
        let dir = try CLI.temporaryDirectory()
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let train = try CLI.run(["train", "--dataset", "fashion-mnist", "--model", "mlp", "--epochs", "1", "--limit", "500",
                                 "--out", path("mlp.safetensors")], timeoutSeconds: 300)
        try #require(train.status == 0, "\(train.stderr)")

        // One machine: three processes over loopback TLS; only the client's output is returned.
        let infer = try CLI.run(["mpc", "infer", "--model", path("mlp.safetensors"), "--dataset", "fashion-mnist", "--count", "4",
                                 "--batch", "2", "--out", path("logits.npy"), "--json"], timeoutSeconds: 300)
        try #require(infer.status == 0, "\(infer.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(infer.stdout.utf8)) as? [String: Any])
        #expect((result["labels"] as? [Int])?.count == 4)
        #expect((result["agreementWithPlaintext"] as? Int ?? 0) >= 3)
        #expect(result["roundsPerBatch"] as? Int == 22)
        #expect((result["parties"] as? [[String: Any]])?.count == 3)
        let logits = try Data(contentsOf: URL(fileURLWithPath: path("logits.npy")))
        #expect(logits.count == 128 + 4 * 10 * 4)

        // A client alone: the owner never comes, the client stops with one line naming it.
        let certs = try CLI.run(["mpc", "certs", "--out", path("pki")])
        try #require(certs.status == 0, "\(certs.stderr)")
        try Self.writeImages(path("x.npy"), count: 3000, value: 0.5)
        let peers = (0..<3).map { _ in "127.0.0.1:\(Self.freePort())" }.joined(separator: ",")
        func party(_ id: Int) -> [String] {
            ["mpc", "party", "--id", "\(id)", "--peers", peers, "--cert", path("pki/party-\(id).pem"), "--key", path("pki/party-\(id)-key.pem"),
             "--ca", path("pki/ca.pem"), "--timeout", "5", "--connect-timeout", "2"]
        }
        let alone = try CLI.run(party(1) + ["--input", path("x.npy"), "--out", path("alone.npy")], timeoutSeconds: 60)
        #expect(alone.isCleanFailure, "\(alone.stderr)")
        #expect(alone.stderr.contains("party 0"), "\(alone.stderr)")

        // The dealer killed mid-run: owner and client abort within the timeout, naming it.
        let processes = try [party(0) + ["--model", path("mlp.safetensors")],
                             party(1) + ["--input", path("x.npy"), "--out", path("killed.npy"), "--batch", "1"],
                             party(2)].map { arguments in
            let process = Process()
            process.executableURL = CLI.executable
            process.arguments = arguments
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            return (process, err)
        }
        Thread.sleep(forTimeInterval: 3)
        #expect(processes[1].0.isRunning, "the run ended before the dealer was killed")
        kill(processes[2].0.processIdentifier, SIGKILL)
        let deadline = Date().addingTimeInterval(30)
        while (processes[0].0.isRunning || processes[1].0.isRunning) && Date() < deadline { usleep(20_000) }
        for (process, _) in processes where process.isRunning { process.terminate() }
        for (index, (process, err)) in processes.enumerated().dropLast() {
            process.waitUntilExit()
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 2, "party \(index): \(stderr)")
            // The client meets the dead dealer; the owner may meet it too, or the client's abort.
            #expect(stderr.contains("party 2") || (index == 0 && stderr.contains("party 1")), "party \(index): \(stderr)")
            #expect(stderr.split(separator: "\n").count == 1, "party \(index): \(stderr)")
        }
        processes[2].0.waitUntilExit()
    }
}
