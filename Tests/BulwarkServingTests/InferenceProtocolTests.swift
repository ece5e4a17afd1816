import BulwarkServing
import Foundation
import Testing

private func parse(_ text: String, limits: InferenceRequestLimits = InferenceRequestLimits()) throws(ServingError) -> InferenceRequest {
    try InferenceRequest(json: Array(text.utf8), limits: limits)
}

private func refusal(_ text: String, limits: InferenceRequestLimits = InferenceRequestLimits()) -> String? {
    do {
        _ = try parse(text, limits: limits)
        return nil
    } catch {
        #expect(error.code == .invalidRequest)
        #expect(!error.message.contains("\n"))
        return error.message
    }
}

@Test func parsesFlatAndNestedTensorsWithIDsAndParameters() throws {
    let flat = try parse(#"{"id":"r-1","parameters":{"x":[1,{"y":null}]},"inputs":[{"name":"input","shape":[2,2],"datatype":"FP32","data":[0.5,-1,1e-3,2E+2]}],"outputs":[{"name":"probabilities","parameters":{"binary_data":false}}]}"#)
    #expect(flat.id == "r-1")
    #expect(flat.inputs == [InferenceInput(name: "input", shape: [2, 2], datatype: .fp32, data: [0.5, -1, 0.001, 200])])
    #expect(flat.requestedOutputs == ["probabilities"])
    let nested = try parse(" {\n\"inputs\" : [ {\"data\":[[1,2],[3,4]],\"shape\":[2,2],\"datatype\":\"UINT8\",\"name\":\"x\\u00e9\"} ] } ")
    #expect(nested.inputs[0].data == [1, 2, 3, 4])
    #expect(nested.inputs[0].name == "xé")
    // zeros as Python prints them (read in one comparison) beside numbers that begin the same way
    let zeros = try parse(#"{"inputs":[{"name":"z","shape":[9],"datatype":"FP32","data":[0.0,0.05,0.0 ,-0.0,0.0e3,0.00,0.0,0,0.0]}]}"#)
    #expect(zeros.inputs[0].data == [0, 0.05, 0, 0, 0, 0, 0, 0, 0])
    #expect(zeros.inputs[0].data[3].sign == .minus)
    #expect(refusal(#"{"inputs":[{"name":"z","shape":[2],"datatype":"FP32","data":[0.0,0.0.0]}]}"#) != nil)
    #expect(refusal(#"{"inputs":[{"name":"z","shape":[1],"datatype":"FP32","data":[0.0"#) != nil)
    let booleans = try parse(#"{"inputs":[{"name":"b","shape":[3],"datatype":"BOOL","data":[true,false,1]}]}"#)
    #expect(booleans.inputs[0].data == [1, 0, 1])
}

@Test func numbersReadExactlyAsTheStandardLibraryReadsThem() throws {
    // The fast path and the fallback both must give the correctly rounded float: the standard
    // library's Float(text), not Float(Double(text)), which rounds twice.
    let texts = ["0", "-0.0", "0.1", "0.30000000000000004", "123456789012345678", "1.7976931348623157e308", "4.9e-324",
                 "2.2250738585072014e-308", "0.00000000000000000000000001", "9007199254740993", "1e22", "1e23", "3.4e38",
                 "0.123456789012345678901234567890", "12345678901234567890123", "0.14509804546833038", "0.003921568859368563",
                 "1.1754943508222875e-38", "1.1754942e-38", "3.4028235e38", "3.4028235677973366e38", "1e-45", "7e-46",
                 // 1 + 2⁻²⁴ is halfway between the floats 1 and 1 + 2⁻²³; these two decimals lie just
                 // below and just above it, and both round to it as doubles.
                 "1.000000059604644775", "1.000000059604644776", "1.000000059604644775390625", "-1.000000059604644776"]
    #expect(Float("1.000000059604644776")! != Float(Double("1.000000059604644776")!), "the double-rounding case this list needs")
    for text in texts {
        let expected = Float(text)!
        if !expected.isFinite { continue }
        let request = try parse(#"{"inputs":[{"name":"x","shape":[1],"datatype":"FP64","data":[\#(text)]}]}"#)
        #expect(request.inputs[0].data == [expected], "\(text)")
    }
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<2000 {
        let value = Double.random(in: -1000...1000, using: &generator)
        let text = String(format: "%.*g", Int.random(in: 1...17, using: &generator), value)
        let request = try parse(#"{"inputs":[{"name":"x","shape":[1],"datatype":"FP64","data":[\#(text)]}]}"#)
        #expect(request.inputs[0].data == [Float(text)!], "\(text)")
    }
    // Float32 values printed the way json.dumps prints them (shortest double round trip), as the
    // Fashion-MNIST request bodies carry them.
    for _ in 0..<2000 {
        let value = Float.random(in: 0...1, using: &generator) * (Bool.random(using: &generator) ? 1 : -1000)
        let text = "\(Double(value))"
        let request = try parse(#"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[\#(text)]}]}"#)
        #expect(request.inputs[0].data == [value], "\(text)")
    }
}

@Test func malformedRequestsAreRefusedWithOneLineNamingTheField() {
    let tensor = #"{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}"#
    #expect(refusal("") != nil)
    #expect(refusal("[]") != nil)
    #expect(refusal(#"{"inputs":[]}"#)?.contains("inputs") == true)
    #expect(refusal(#"{"inputs":[\#(tensor)]} x"#)?.contains("after the JSON") == true)
    #expect(refusal(#"{"inputs":[\#(tensor)],"inputs":[\#(tensor)]}"#)?.contains("duplicate") == true)
    #expect(refusal(#"{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2]}]}"#)?.contains("holds 3 elements but data has 2") == true)
    #expect(refusal(#"{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP8","data":[1,2]}]}"#)?.contains("datatype") == true)
    #expect(refusal(#"{"inputs":[{"name":"x","shape":[1,2],"datatype":"UINT8","data":[1,256]}]}"#)?.contains("range") == true)
    #expect(refusal(#"{"inputs":[{"name":"x","shape":[1,2],"datatype":"INT32","data":[1,2.5]}]}"#)?.contains("whole") == true)
    #expect(refusal(#"{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,1e39]}]}"#)?.contains("32-bit") == true)
    #expect(refusal(#"{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,NaN]}]}"#) != nil)
    #expect(refusal(#"{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[01,2]}]}"#)?.contains("leading zero") == true)
    #expect(refusal(#"{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1.,2]}]}"#) != nil)
    #expect(refusal(#"{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2],"parameters":{"binary_data_size":8}}]}"#)?.contains("binary") == true)
    #expect(refusal(#"{"inputs":[{"name":"x","shape":[-1,2],"datatype":"FP32","data":[1,2]}]}"#)?.contains("shape") == true)
    #expect(refusal(#"{"inputs":[{"shape":[1,2],"datatype":"FP32","data":[1,2]}]}"#)?.contains("name: missing") == true)
    #expect(refusal(#"{"inputs":[{"name":"x\u0001","shape":[1],"datatype":"FP32","data":[1]}]}"#) == nil)
    #expect(refusal("{\"inputs\":[{\"name\":\"x\u{01}\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}")?.contains("control character") == true)
    #expect(refusal(#"{"id":"\ud800","inputs":[\#(tensor)]}"#)?.contains("surrogate") == true)
    #expect(refusal(#"{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]"#) != nil)
}

@Test func limitsHoldWhileParsing() {
    let limits = InferenceRequestLimits(maxElements: 4, maxInputs: 1, maxDepth: 6, maxStringBytes: 8)
    #expect(refusal(#"{"inputs":[{"name":"x","shape":[5],"datatype":"FP32","data":[1,2,3,4,5]}]}"#, limits: limits)?.contains("more than 4 elements") == true)
    #expect(refusal(#"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]},{"name":"y","shape":[1],"datatype":"FP32","data":[1]}]}"#, limits: limits)?.contains("more than 1 tensors") == true)
    #expect(refusal(#"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[[[[[[1]]]]]]}]}"#, limits: limits)?.contains("deeper") == true)
    #expect(refusal(#"{"id":"123456789","inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}"#, limits: limits)?.contains("longer than 8") == true)
    let deep = String(repeating: "[", count: 100_000)
    #expect(refusal(#"{"x":\#(deep)"#) != nil)
    #expect(refusal(#"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":\#(deep)}]}"#) != nil)
}

@Test func responsesAreValidJSONThatRoundTrips() throws {
    let response = InferenceResponse(modelName: "m\"1", modelVersion: "3", id: "a\nb", parameters: [("bulwark_flagged", "true"), ("note", "x y")],
                                     outputs: [InferenceOutput(name: "probabilities", shape: [1, 3], datatype: .fp32, data: [0.1, 0.2, 0.7]),
                                               InferenceOutput(name: "label", shape: [1], datatype: .int64, data: [2])])
    let object = try #require(try JSONSerialization.jsonObject(with: Data(response.json())) as? [String: Any])
    #expect(object["model_name"] as? String == "m\"1")
    #expect(object["id"] as? String == "a\nb")
    #expect((object["parameters"] as? [String: Any])?["bulwark_flagged"] as? Bool == true)
    let outputs = try #require(object["outputs"] as? [[String: Any]])
    #expect((outputs[0]["data"] as? [Double])?.map { Float($0) } == [0.1, 0.2, 0.7])
    #expect(outputs[1]["data"] as? [Int] == [2])
}

/// A seeded generator for the mutation test (SplitMix64).
private struct MutationRNG: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Test func mutatedBodiesAreAnsweredOrRefusedNeverCrash() {
    // 30 000 mutations (byte flips, insertions, deletions, splices of JSON punctuation) of valid
    // bodies: each parses or is refused with a one-line invalidRequest; none traps.
    let seeds = [
        #"{"id":"a","inputs":[{"name":"input","shape":[2,2],"datatype":"FP32","data":[[0.5,-1e-3],[2E+2,0]]}],"outputs":[{"name":"probabilities"}]}"#,
        #"{"inputs":[{"name":"x","shape":[3],"datatype":"BOOL","data":[true,false,1]}],"parameters":{"k":[1,{"y":null}],"s":"\u00e9\ud83d\ude00"}}"#,
    ].map { Array($0.utf8) }
    let alphabet = Array(#"{}[]":,.-+eE0123456789 tfnul\"#.utf8) + [0, 0xFF, 0xC3, 0x80]
    var rng = MutationRNG(state: 20_261_206)
    var parsed = 0
    for round in 0..<30_000 {
        var bytes = seeds[round % seeds.count]
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let at = Int.random(in: 0..<max(1, bytes.count), using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0 where !bytes.isEmpty: bytes[at] = alphabet.randomElement(using: &rng)!
            case 1: bytes.insert(alphabet.randomElement(using: &rng)!, at: min(at, bytes.count))
            case 2 where !bytes.isEmpty: bytes.remove(at: at)
            default:
                let other = seeds.randomElement(using: &rng)!
                let from = Int.random(in: 0..<other.count, using: &rng)
                bytes.insert(contentsOf: other[from..<min(other.count, from + Int.random(in: 1...20, using: &rng))], at: min(at, bytes.count))
            }
        }
        do {
            _ = try InferenceRequest(json: bytes)
            parsed += 1
        } catch {
            #expect(error.code == .invalidRequest && !error.message.contains("\n"))
        }
    }
    #expect(parsed > 0 && parsed < 30_000)
}
