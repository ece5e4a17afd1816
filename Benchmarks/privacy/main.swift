// Times Bulwark's RDP accountant on the grid written by grid.py (compiled together with Sources/BulwarkPrivacy).
import Foundation
struct Point: Decodable { let noiseMultiplier, samplingRate: Double; let steps: Int; let delta: Double }
let data = try Data(contentsOf: URL(fileURLWithPath: CommandLine.arguments[1]))
let grid = try JSONDecoder().decode([Point].self, from: data)
let start = Date()
var sink = 0.0
for p in grid {
    sink += try PrivacyCalibration.epsilon(noiseMultiplier: p.noiseMultiplier, samplingRate: p.samplingRate, steps: p.steps, delta: p.delta)
}
print(String(format: "%.6f", Date().timeIntervalSince(start)))
if sink.isNaN { print("NaN") }
