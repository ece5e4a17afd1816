import Foundation

/// Runs the built `bulwark` executable (next to the test bundle) and captures its output.
struct CLIRun {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum CLI {
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("bulwark")
    }

    /// Runs `bulwark args…` with a time limit; the process is killed if it overruns.
    static func run(_ args: [String], timeoutSeconds: Double = 120, currentDirectory: URL? = nil) throws -> CLIRun {
        let p = Process()
        p.executableURL = executable
        p.arguments = args
        if let currentDirectory { p.currentDirectoryURL = currentDirectory }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // drain pipes concurrently so a chatty process cannot block on a full pipe
        nonisolated(unsafe) var outData = Data(), errData = Data()
        let group = DispatchGroup()
        group.enter(); DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter(); DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        group.wait()
        return CLIRun(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

extension CLIRun {
    /// A failure reported the way every bulwark error must be: non-zero exit, one line on stderr,
    /// no trap or stack trace.
    var isCleanFailure: Bool {
        let lines = stderr.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        return status != 0 && status < 128 && !stderr.contains("Fatal error") && !stderr.contains("Stack dump")
            && !stderr.contains("Backtrace") && lines.count >= 1 && lines.first.map { $0.count < 400 } == true
    }
}
