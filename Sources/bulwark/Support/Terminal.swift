import BulwarkArchive
import BulwarkReport
import Foundation

/// An error the CLI reports as one line on stderr, with a non-zero exit (ArgumentParser prints
/// `Error: <description>`).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Writing to stderr, and a progress line that redraws in place on a terminal.
enum Terminal {
    static let isTerminal = isatty(STDERR_FILENO) == 1

    /// Writes `prompt` to stderr and reads one line from the terminal with echo off (for a
    /// password or a code), restoring the terminal's settings afterwards; `nothing` is the error
    /// when stdin ends first.
    static func readSecretLine(prompt: String, nothing: String = "stdin: nothing was entered") throws -> String {
        FileHandle.standardError.write(Data(prompt.utf8))
        var saved = termios()
        guard tcgetattr(STDIN_FILENO, &saved) == 0 else { throw CLIError("stdin: cannot read the terminal settings") }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        guard tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0 else { throw CLIError("stdin: cannot turn echo off") }
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = Swift.readLine(strippingNewline: true) else { throw CLIError(nothing) }
        return line
    }

    /// Writes `text` to standard error.
    static func error(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Writes a line to standard error.
    static func note(_ line: String) { error(line + "\n") }
}

/// Renders progress on stderr: redrawn in place on a terminal, or a line every few seconds
/// otherwise (so logs stay readable). Quiet when `enabled` is false.
final class ProgressLine {
    private let enabled: Bool
    private var lastDraw = Date.distantPast
    private var lastWidth = 0

    init(enabled: Bool = true) { self.enabled = enabled }

    /// Shows `text`; throttled to 10 redraws a second on a terminal, one line per 5 s otherwise.
    func update(_ text: String, force: Bool = false) {
        guard enabled else { return }
        let now = Date()
        let interval = Terminal.isTerminal ? 0.1 : 5
        guard force || now.timeIntervalSince(lastDraw) >= interval else { return }
        lastDraw = now
        if Terminal.isTerminal {
            let pad = max(0, lastWidth - text.count)
            Terminal.error("\r" + text + String(repeating: " ", count: pad))
            lastWidth = text.count
        } else {
            Terminal.note(text)
        }
    }

    /// Runs `body`, ending the line before its error is rethrown (so the error starts a fresh line).
    func around<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            finish()
            throw error
        }
    }

    /// Ends the line (on a terminal) so following output starts on a fresh line.
    func finish(_ text: String? = nil) {
        guard enabled else { return }
        if let text { update(text, force: true) }
        if Terminal.isTerminal && lastWidth > 0 { Terminal.error("\n") }
        lastWidth = 0
    }
}

/// Formats seconds as `1m05s` / `12s`.
func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let s = Int(seconds.rounded())
    return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
}


/// Refuses, with one line, an output that would overwrite one of the command's inputs or land
/// inside a folder the command reads whole (`FileChecks.checkOutput`).
func refuseOverwrite(_ output: String, inputs: [String?], trees: [String] = [], role: String) throws {
    do { try FileChecks.checkOutput(output, notOverwriting: inputs.compactMap { $0 }, notInside: trees, role: role) } catch { throw error }
}

/// Refuses to replace an existing ownership key at `path` (`role` names the option) unless
/// `force`: a key is the only proof of ownership for every model already embedded or
/// fingerprinted with it, and it cannot be made again.
func refuseReplacingKey(_ path: String, role: String, force: Bool) throws {
    guard !force, FileManager.default.fileExists(atPath: path) else { return }
    throw CLIError("\(role) '\(path)' already exists: a key is the only proof for the models made with it; refusing to replace it (choose another path, or --force)")
}

/// Refuses an output directory `directory` whose files `names` (relative, `""` for the
/// directory itself) would overwrite an input (`--out`).
func refuseOverwrite(_ directory: String, names: [String], inputs: [String?]) throws {
    for name in names { try refuseOverwrite(directory + name, inputs: inputs, role: "--out") }
}

/// Prints `value` as one line of JSON (keys sorted, slashes unescaped): every `--json` output is
/// a `Codable` result type, so its shape is declared, not assembled by hand.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// The command line as typed, shell-quoted, with `bulwark` as the program name: the reproduce
/// command every report records (every choice is seeded, so it reruns the same work).
func quotedCommandLine() -> String {
    CommandLine.arguments.enumerated().map { $0 == 0 ? "bulwark" : shellQuoted($1) }.joined(separator: " ")
}
