// Encrypted inference of a 784-32-10 square-activation MLP (y = W2·(W1·x + b1)² + b2) with
// Bulwark's CKKS at N = 8192, primes 52, 38, 38, 38 | 52, scale 2^38 (CKKSParameters.n8192Depth3,
// 218 bits, 128-bit secure), one thread. Random weights of a trained layer's scale (uniform
// ±1/√fan-in) and random "images" in [0, 1] (seeded), four images per ciphertext. Prints one JSON
// object: setup times, the client's encrypt and decrypt and the server's evaluation per ciphertext
// and per image (median over the batches), sizes, and the error against plaintext inference.
//   he-infer [IMAGES (default 100)] [SEED (default 1)]
import BulwarkCrypto
import Foundation

let arguments = CommandLine.arguments
let imageCount = arguments.count > 1 ? Int(arguments[1]) ?? 100 : 100
let seed = arguments.count > 2 ? UInt8(arguments[2]) ?? 1 : 1
guard imageCount > 0 else {
    FileHandle.standardError.write(Data("he-infer: the image count must be positive\n".utf8))
    exit(2)
}

func wallSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func timed<T>(_ body: () throws -> T) rethrows -> (value: T, wall: Double, cpu: Double) {
    let w0 = wallSeconds(), c0 = cpuSeconds()
    let value = try body()
    return (value, wallSeconds() - w0, cpuSeconds() - c0)
}

func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func argmax(_ v: [Double]) -> Int { v.indices.max { v[$0] < v[$1] } ?? 0 }

var generator = try ChaCha20Generator(seed: [UInt8](repeating: seed, count: 32))
func uniformMatrix(_ rows: Int, _ columns: Int, bound: Double, using generator: inout ChaCha20Generator) -> [[Double]] {
    var result: [[Double]] = []
    for _ in 0..<rows { result.append((0..<columns).map { _ in Double.random(in: -bound...bound, using: &generator) }) }
    return result
}
let (inputs, hidden, outputs) = (784, 32, 10)
let model = try CKKSSquareMLP(hiddenWeights: uniformMatrix(hidden, inputs, bound: 1 / Double(inputs).squareRoot(), using: &generator),
                              hiddenBias: uniformMatrix(1, hidden, bound: 0.1, using: &generator)[0],
                              outputWeights: uniformMatrix(outputs, hidden, bound: 1 / Double(hidden).squareRoot(), using: &generator),
                              outputBias: uniformMatrix(1, outputs, bound: 0.1, using: &generator)[0])
let images = uniformMatrix(imageCount, inputs, bound: 0.5, using: &generator).map { $0.map { $0 + 0.5 } }

let parameters = CKKSParameters.n8192Depth3
let plan = try CKKSInferencePlan(parameters: parameters, model: model)
let contextTime = try timed { try CKKSContext(parameters: parameters) }
let context = contextTime.value
let clientTime = try timed { try CKKSInferenceClient(plan: plan, context: context) }
let client = clientTime.value
let keyTime = timed { client.evaluationKeys() }
let keys = keyTime.value
let serverTime = try timed { try CKKSInferenceServer(model: model, plan: plan, context: context, keys: keys) }
let server = serverTime.value

var encryptWall: [Double] = [], evaluateWall: [Double] = [], decryptWall: [Double] = []
var encryptCPU: [Double] = [], evaluateCPU: [Double] = [], decryptCPU: [Double] = []
var logits: [[Double]] = []
var inputBytes = 0, outputBytes = 0
let total = wallSeconds()
for start in stride(from: 0, to: imageCount, by: plan.imagesPerCiphertext) {
    let chunk = Array(images[start..<min(start + plan.imagesPerCiphertext, imageCount)])
    let encrypted = try timed { try client.encrypt(images: chunk) }
    let result = try timed { try encrypted.value.map { batch throws(CryptoError) in try server.evaluate(batch) } }
    let decrypted = try timed { try client.decrypt(result.value) }
    encryptWall.append(encrypted.wall); encryptCPU.append(encrypted.cpu)
    evaluateWall.append(result.wall); evaluateCPU.append(result.cpu)
    decryptWall.append(decrypted.wall); decryptCPU.append(decrypted.cpu)
    logits += decrypted.value
    inputBytes = encrypted.value[0].ciphertext.serializedData().count
    outputBytes = result.value[0].ciphertext.serializedData().count
}
let totalWall = wallSeconds() - total

// Where the server's time goes: the same steps through the public API, on the first batch.
let evaluator = CKKSEvaluator(context: context)
let encoder = CKKSEncoder(context: context)
let hiddenMatrix = try CKKSEncodedMatrix(weights: model.hiddenWeights, shape: plan.hiddenShape, context: context, level: context.maximumLevel)
let outputMatrix = try CKKSEncodedMatrix(weights: model.outputWeights, shape: plan.outputShape, context: context, level: context.maximumLevel - 2)
let firstBatch = try client.encrypt(images: Array(images.prefix(plan.imagesPerCiphertext)))[0].ciphertext
var breakdown: [String: [Double]] = [:]
for _ in 0..<5 {
    let h = try timed { try evaluator.multiply(hiddenMatrix, firstBatch, keys: keys.galois) }
    let biasHidden = try plan.layout.replicate(model.hiddenBias)
    let square = try timed {
        let biased = try evaluator.add(h.value, encoder.encode(biasHidden, scale: h.value.scale, level: h.value.level))
        return try evaluator.rescale(evaluator.relinearize(evaluator.square(biased), key: keys.relinearization))
    }
    let y = try timed { try evaluator.multiply(outputMatrix, square.value, keys: keys.galois) }
    breakdown["hidden_product_cpu", default: []].append(h.cpu)
    breakdown["bias_square_relinearize_rescale_cpu", default: []].append(square.cpu)
    breakdown["output_product_cpu", default: []].append(y.cpu)
}

var maxError = 0.0, agree = 0
for (image, encrypted) in zip(images, logits) {
    let expected = model.logits(image)
    maxError = max(maxError, zip(encrypted, expected).map { abs($0 - $1) }.max() ?? 0)
    if argmax(encrypted) == argmax(expected) { agree += 1 }
}
let perCiphertext = Double(plan.imagesPerCiphertext)
let evaluationKeyBytes = keys.relinearization.serializedData().count + keys.galois.serializedData().count
let report: [String: Any] = [
    "parameters": ["poly_degree": parameters.polyDegree, "coefficient_modulus_bits": parameters.coefficientModulusBits,
                   "scale_bits": log2(parameters.scale), "security": parameters.securityDescription],
    "model": "\(inputs)-\(hidden)-\(outputs) square MLP, random weights",
    "images": imageCount,
    "images_per_ciphertext": plan.imagesPerCiphertext,
    "galois_keys": plan.galoisSteps.count,
    "setup_seconds": ["context": contextTime.wall, "client_secret_key": clientTime.wall, "evaluation_keys": keyTime.wall,
                      "server_encode_model": serverTime.wall],
    "per_ciphertext_seconds": ["encrypt_wall": median(encryptWall), "encrypt_cpu": median(encryptCPU),
                               "evaluate_wall": median(evaluateWall), "evaluate_cpu": median(evaluateCPU),
                               "decrypt_wall": median(decryptWall), "decrypt_cpu": median(decryptCPU)],
    "per_image_seconds": ["server_evaluate_cpu": median(evaluateCPU) / perCiphertext,
                          "end_to_end_cpu": (median(encryptCPU) + median(evaluateCPU) + median(decryptCPU)) / perCiphertext,
                          "end_to_end_wall_measured": totalWall / Double(imageCount)],
    "server_breakdown_per_ciphertext_seconds": breakdown.mapValues(median),
    "bytes": ["input_ciphertext_seeded": inputBytes, "output_ciphertext": outputBytes, "evaluation_keys": evaluationKeyBytes],
    "max_abs_error_vs_plaintext": maxError,
    "argmax_agreement": Double(agree) / Double(imageCount),
]
let json = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
print(String(decoding: json, as: UTF8.self))
