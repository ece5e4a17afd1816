// One SecAgg+ round against one plain round of the same inputs, in one process.
//
// Usage: secagg-bench CLIENTS PARAMETERS REPEATS NEIGHBOURS THRESHOLD [DROPOUTS=1]
//
// Plain round: each client packs its Float32 vector into a Codable message, the message goes
// through JSON (the simulation's wire) to the server, which decodes it and sums.
// SecAgg+ round: SecureAggregationSimulation.run — key generation, signatures, Shamir sharing,
// AES-GCM, ChaCha20 masks, every message through the same JSON wire, unmasking — with no
// dropouts, then once more with DROPOUTS clients (the last ones) dropping before their masked
// inputs (recovery cost).
// In memory: the same two rounds with messages handed over as values (no encoding): the plain
// round is then only the float sum, the SecAgg+ round drives the client and server state machines.
// Prints one line: plainMedian secaggMedian dropoutMedian maxAbsError bytesPerClient chacha20MBps
// plainInMemoryMedian secaggInMemoryMedian (times in seconds; chacha20MBps is the keystream
// throughput of BulwarkCrypto's ChaCha20).
import BulwarkCrypto
import BulwarkFederated
import Foundation

struct PlainUpdate: Codable {
    var client: Int
    var values: Data
}

func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
guard arguments.count == 5 || arguments.count == 6 else {
    FileHandle.standardError.write(Data("usage: secagg-bench CLIENTS PARAMETERS REPEATS NEIGHBOURS THRESHOLD [DROPOUTS]\n".utf8))
    exit(2)
}
let (clients, parameters, repeats, neighbours, threshold) = (arguments[0], arguments[1], arguments[2], arguments[3], arguments[4])
let dropped = Dictionary(uniqueKeysWithValues: ((clients - (arguments.count == 6 ? arguments[5] : 1))..<clients).map {
    ($0, SecureAggregationSimulation.Phase.maskedInput)
})

var generator = try ChaCha20Generator(seed: [UInt8](repeating: 17, count: 32))
let inputs = (0..<clients).map { _ in (0..<parameters).map { _ in Float.random(in: -1...1, using: &generator) } }

func plainRound() throws -> [Float] {
    let encoder = JSONEncoder(), decoder = JSONDecoder()
    var sum = [Float](repeating: 0, count: parameters)
    for (client, vector) in inputs.enumerated() {
        let message = PlainUpdate(client: client, values: vector.withUnsafeBytes { Data($0) })
        let received = try decoder.decode(PlainUpdate.self, from: try encoder.encode(message))
        received.values.withUnsafeBytes { raw in
            let floats = raw.bindMemory(to: Float.self)
            for index in 0..<parameters { sum[index] += floats[index] }
        }
    }
    return sum
}

func plainInMemory() -> [Float] {
    var sum = [Float](repeating: 0, count: parameters)
    for vector in inputs {
        for index in 0..<parameters { sum[index] += vector[index] }
    }
    return sum
}

let signingKeys = (0..<clients).map { _ in SecureAggregationClient.SigningKey() }
let directory = Dictionary(uniqueKeysWithValues: signingKeys.enumerated().map { ($0.offset, $0.element.publicKey) })

func secaggInMemory(round: Int) throws -> [Float] {
    let configuration = try SecureAggregationConfiguration(
        roundID: UInt64(1000 + round), clientCount: clients, threshold: threshold, neighbourCount: neighbours, graphSeed: UInt64(round),
        vectorLength: parameters, quantizer: FixedPointQuantizer(clipRange: 1, maxSummands: clients))
    var parties = try (0..<clients).map {
        try SecureAggregationClient(index: $0, configuration: configuration, signingKey: signingKeys[$0], peerSigningKeys: directory)
    }
    var server = SecureAggregationServer(configuration: configuration)
    for index in parties.indices { try server.receive(try parties[index].advertiseKeys()) }
    for message in try server.keyDirectories() { try server.receive(try parties[message.recipient].shareKeys(message)) }
    for message in try server.routedShares() {
        try server.receive(try parties[message.recipient].maskedInput(inputs[message.recipient], shares: message))
    }
    let request = try server.unmaskingRequest()
    for client in request.survivors { try server.receive(try parties[client].unmask(request)) }
    return try server.finish().sum
}

var plainMemoryTimes: [Double] = [], secaggMemoryTimes: [Double] = []
var plainTimes: [Double] = [], secaggTimes: [Double] = [], dropoutTimes: [Double] = []
var plainSum: [Float] = [], secaggSum: [Float] = []
var bytesPerClient = 0
for round in 0..<(repeats + 1) {  // the first round warms up and is not counted
    var start = now()
    plainSum = try plainRound()
    if round > 0 { plainTimes.append(now() - start) }

    start = now()
    let report = try SecureAggregationSimulation.run(inputs: inputs, threshold: threshold, neighbours: neighbours, clipRange: 1,
                                                     roundID: UInt64(round + 1), seed: UInt64(round + 1))
    if round > 0 { secaggTimes.append(now() - start) }
    secaggSum = report.result.sum
    bytesPerClient = report.bytesSentPerClient.max() ?? 0

    start = now()
    let memoryPlain = plainInMemory()
    if round > 0 { plainMemoryTimes.append(now() - start) }
    start = now()
    let memorySecure = try secaggInMemory(round: round)
    if round > 0 { secaggMemoryTimes.append(now() - start) }
    precondition(zip(memoryPlain, memorySecure).allSatisfy { abs($0 - $1) < 1e-4 }, "in-memory SecAgg+ sum differs from the plain sum")

    start = now()
    _ = try SecureAggregationSimulation.run(inputs: inputs, threshold: threshold, neighbours: neighbours, clipRange: 1,
                                            dropouts: dropped, roundID: UInt64(round + 1), seed: UInt64(round + 1))
    if round > 0 { dropoutTimes.append(now() - start) }
}
let maxError = zip(plainSum, secaggSum).map { abs($0 - $1) }.max() ?? 0

var stream = try ChaCha20(key: [UInt8](repeating: 3, count: 32))
var words = [UInt64](repeating: 0, count: 1 << 17)
var start = now()
for _ in 0..<64 { stream.fill(&words) }
let throughput = Double(64 * 8 * words.count) / (now() - start) / 1e6
print(median(plainTimes), median(secaggTimes), median(dropoutTimes), maxError, bytesPerClient, throughput,
      median(plainMemoryTimes), median(secaggMemoryTimes))
