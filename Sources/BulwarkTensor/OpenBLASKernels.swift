import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Repairs OpenBLAS's choice of kernels on CPUs newer than the library.
///
/// An OpenBLAS built with `DYNAMIC_ARCH` (Debian's) picks its kernels from the CPU model when it
/// is loaded. A model it does not know — e.g. Intel family 6 model 207 (Emerald Rapids) with
/// OpenBLAS 0.3.21 — falls back to the generic SSE3 "Prescott" kernels, which on such a machine
/// run matrix products 3–5× slower than the AVX-512 ones the CPU supports.
///
/// ``repairIfUndetected()`` checks for that case and then re-runs OpenBLAS's own selection with
/// the newest kernel family the CPU's flags (`/proc/cpuinfo`) support, exactly as if the user had
/// set `OPENBLAS_CORETYPE` before starting the program. It never overrides a core the user chose
/// with `OPENBLAS_CORETYPE`, does nothing when the library was built without `DYNAMIC_ARCH` (the
/// entry points are looked up at run time), and must run before the first BLAS call — Bulwark's
/// one-time numeric set-up runs it.
enum OpenBLASKernels {
    private typealias Void0 = @convention(c) () -> Void
    private typealias Name0 = @convention(c) () -> UnsafeMutablePointer<CChar>?

    /// Kernel families OpenBLAS falls back to (or that predate AVX2): worth replacing when the
    /// CPU supports more.
    static let fallbackCores: Set<String> = ["prescott", "katmai", "coppermine", "northwood", "banias",
                                             "atom", "core2", "penryn", "dunnington", "nehalem", "sandybridge"]

    /// The name of the kernel family OpenBLAS uses now, if the library reports it.
    static var coreName: String? {
        guard let f: Name0 = symbol("openblas_get_corename"), let p = f() else { return nil }
        return String(cString: p)
    }

    /// The kernel family to use for a CPU with `flags`, or `nil` when none beats the fallback.
    static func preferredCore(flags: Set<String>) -> String? {
        if ["avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512cd"].allSatisfy(flags.contains) { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// Switches to better kernels when OpenBLAS fell back to generic ones; returns the new core
    /// name when it switched, `nil` otherwise.
    @discardableResult
    static func repairIfUndetected() -> String? {
        #if os(Linux)
        guard getenv("OPENBLAS_CORETYPE") == nil, let current = coreName,
              fallbackCores.contains(current.lowercased()),
              let target = preferredCore(flags: cpuFlags()), target.lowercased() != current.lowercased(),
              let quit: Void0 = symbol("gotoblas_dynamic_quit"), let initialize: Void0 = symbol("gotoblas_dynamic_init")
        else { return nil }
        setenv("OPENBLAS_CORETYPE", target, 1)
        quit()
        initialize()
        unsetenv("OPENBLAS_CORETYPE")
        return coreName == current ? nil : coreName
        #else
        return nil
        #endif
    }

    /// The CPU feature flags of the first processor in `/proc/cpuinfo` (empty when unreadable).
    static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    private static func symbol<T>(_ name: String) -> T? {
        #if canImport(Glibc)
        guard let p = dlsym(nil, name) else { return nil }  // nil is RTLD_DEFAULT: every loaded library
        return unsafeBitCast(p, to: T.self)
        #else
        return nil
        #endif
    }
}

/// The OpenBLAS kernel family in use (e.g. `"SkylakeX"`), after Bulwark's numeric set-up; `nil`
/// when the BLAS library does not report it. Benchmarks print it so a run states its kernels.
public var blasCoreName: String? {
    configureNumerics()
    return OpenBLASKernels.coreName
}
