// Times Bulwark's accountants on the grid written by grid.py (compiled together with Sources/BulwarkPrivacy)
// and prints "wall_seconds cpu_seconds max_relative_difference" against the epsilons grid.py wrote.
import Foundation

struct Point: Decodable { let noiseMultiplier, samplingRate: Double; let steps: Int; let delta, epsilon: Double }

func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

let accountant: PrivacyAccountantKind = CommandLine.arguments[1] == "pld" ? .pld : .rdp
let grid = try JSONDecoder().decode([Point].self, from: Data(contentsOf: URL(fileURLWithPath: CommandLine.arguments[2])))
let wallStart = Date(), cpuStart = cpuSeconds()
var ours: [Double] = []
for p in grid {
    ours.append(try PrivacyCalibration.epsilon(noiseMultiplier: p.noiseMultiplier, samplingRate: p.samplingRate, steps: p.steps,
                                               delta: p.delta, accountant: accountant))
}
let wall = Date().timeIntervalSince(wallStart), cpu = cpuSeconds() - cpuStart
let worst = zip(ours, grid).map { abs($0 - $1.epsilon) / $1.epsilon }.max() ?? 0
print(String(format: "%.6f %.6f %.3e", wall, cpu, worst))
