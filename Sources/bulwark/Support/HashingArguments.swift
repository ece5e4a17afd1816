import ArgumentParser
import BulwarkSupplyChain
import Foundation

/// Hashing options shared by `sign` and `verify`, with model-signing's defaults.
struct HashingArguments: ParsableArguments {
    @Option(name: .customLong("ignore-paths"), parsing: .upToNextOption, help: "Paths to leave out (resolved from the current directory; must lie inside the model).")
    var ignorePaths: [String] = []

    @Flag(name: .customLong("ignore-git-paths"), inversion: .prefixedNo, help: "Leave out .git, .gitattributes, .github and .gitignore.")
    var ignoreGitPaths: Bool = true

    @Flag(name: .customLong("allow-symlinks"), help: "Follow symbolic links to files instead of refusing them.")
    var allowSymlinks: Bool = false

    @Option(help: "Hashing: 'files' (one digest per file) or 'shards' (one per --shard-size bytes). For verify, default: what the signature records.")
    var hashing: String?

    @Option(name: .customLong("shard-size"), help: "Shard size in bytes for --hashing shards (default 1000000000, model-signing's).")
    var shardSize: Int64 = HashingMethod.defaultShardSize

    @Option(parsing: .unconditional, help: "Hashing threads (default: one per core).")
    var jobs: Int?

    struct Resolved {
        var hashing: HashingOptions
        var method: HashingMethod?
    }

    func options(model: String, signature: String, requireMethod: Bool) throws -> Resolved {
        guard FileManager.default.fileExists(atPath: model) else { throw ValidationError("no such model file or directory '\(model)'") }
        if let jobs, !(1...256).contains(jobs) { throw ValidationError("--jobs must be 1…256") }
        guard shardSize > 0 else { throw ValidationError("--shard-size must be positive") }
        var method: HashingMethod?
        switch hashing {
        case nil: method = requireMethod ? .files : nil
        case "files"?: method = .files
        case "shards"?: method = .shards(size: shardSize)
        case let other?: throw ValidationError("--hashing must be 'files' or 'shards', not '\(other)'")
        }
        let ignored = ModelPathResolver.relativeToModel(model: model, paths: ignorePaths + [signature])
        let options = HashingOptions(method: method ?? .files, ignorePaths: ignored, ignoreGitPaths: ignoreGitPaths, allowSymlinks: allowSymlinks, parallelism: jobs)
        return Resolved(hashing: options, method: method)
    }

    static func formatBytes(_ bytes: Int64) -> String {
        if bytes == 0 { return "—" }
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.2f %@", value, units[unit])
    }
}
