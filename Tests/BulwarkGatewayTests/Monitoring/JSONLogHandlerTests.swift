@testable import BulwarkGateway
import Foundation
import Logging
import Testing

/// The lines a `LogOutput` on a temporary file received.
private final class LogFile {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-log-\(UUID().uuidString)").path
    let handle: FileHandle
    let output: LogOutput

    init() throws {
        FileManager.default.createFile(atPath: path, contents: nil)
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        output = LogOutput(fileDescriptor: handle.fileDescriptor)
    }

    deinit {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    var lines: [String] { ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

    func objects() throws -> [[String: Any]] {
        try lines.dropLast().map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "\($0)") }
    }
}

@Test func jsonLogLinesCarryTheFieldsAndMetadataWithTheirShapes() throws {
    let file = try LogFile()
    var logger = Logger(label: "bulwark.test") { label in
        JSONLogHandler(label: label, output: file.output, metadataProvider: Logger.MetadataProvider { ["provided": "p", "shared": "provider"] })
    }
    logger[metadataKey: "request.id"] = "abc"
    logger[metadataKey: "shared"] = "handler"
    logger.debug("not written at the default level")
    logger.info("request", metadata: ["status": .stringConvertible(200), "shared": "call",
                                      "list": [.string("a"), .stringConvertible(2)], "nested": ["k": "v"]])
    logger.error("failed")
    let objects = try file.objects()
    #expect(objects.count == 2 && file.lines.last == "")
    let first = objects[0]
    #expect(first["level"] as? String == "info" && first["logger"] as? String == "bulwark.test" && first["message"] as? String == "request")
    #expect(first["source"] as? String == "BulwarkGatewayTests")
    let metadata = try #require(first["metadata"] as? [String: Any])
    #expect(metadata["request.id"] as? String == "abc" && metadata["provided"] as? String == "p" && metadata["status"] as? String == "200")
    #expect(metadata["shared"] as? String == "call", "the call's metadata wins over the provider's and the handler's")
    #expect(metadata["list"] as? [String] == ["a", "2"] && (metadata["nested"] as? [String: String]) == ["k": "v"])
    #expect(objects[1]["level"] as? String == "error")
    // keys in a fixed order, metadata keys sorted: the same event always gives the same line
    let line = JSONLogHandler.line(time: Date(timeIntervalSince1970: 0), level: .warning, label: "l", message: "m", source: "s",
                                   metadata: ["b": "2", "a": "1"], error: "boom")
    #expect(line == #"{"time":"1970-01-01T00:00:00.000Z","level":"warning","logger":"l","message":"m","source":"s","error":"boom","metadata":{"a":"1","b":"2"}}"# + "\n")
}

@Test func jsonLogEscapingKeepsEveryValueOnItsOwnLine() throws {
    let hostile = "a\"b\\c\nd\re\tf\u{01}g\u{1F}h\u{7F} tök ✓ 🎉 \u{2028}{\"forged\":true}\n{\"level\":\"critical\"}"
    let line = JSONLogHandler.line(time: Date(), level: .info, label: hostile, message: hostile, source: "s", metadata: [hostile: .string(hostile)], error: nil)
    #expect(line.filter { $0 == "\n" }.count == 1 && line.hasSuffix("}\n"))
    let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    #expect(object["message"] as? String == hostile && object["logger"] as? String == hostile)
    #expect((object["metadata"] as? [String: String])?[hostile] == hostile)
    #expect(line.contains(#"\u0001"#) && line.contains(#"\u001f"#))
}

@Test func jsonLogTimestampsAreUTCWithMilliseconds() {
    #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
    #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 1_796_670_435.0071)) == "2026-12-07T19:07:15.007Z")
    #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 951_782_399.999)) == "2000-02-28T23:59:59.999Z")
    #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 951_782_399.9996)) == "2000-02-29T00:00:00.000Z")   // rounds into the leap day
    #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
}

@Test func concurrentJSONLogLinesNeverInterleave() async throws {
    let file = try LogFile()
    let logger = Logger(label: "bulwark.test") { JSONLogHandler(label: $0, output: file.output) }
    let payload = String(repeating: "x", count: 5000)
    await withTaskGroup(of: Void.self) { group in
        for task in 0..<8 {
            group.addTask {
                for k in 0..<50 { logger.info("line", metadata: ["task": "\(task)", "k": "\(k)", "payload": .string(payload)]) }
            }
        }
    }
    let objects = try file.objects()
    #expect(objects.count == 400)
    #expect(Set(objects.compactMap { ($0["metadata"] as? [String: String]).map { "\($0["task"] ?? "")/\($0["k"] ?? "")" } }).count == 400)
}
