import Testing
@testable import BulwarkSupplyChain

@Test func kerasConfigFlagsLambdaCustomObjectsAndUnparsedText() {
    let keras3 = #"{"module": "keras", "class_name": "Functional", "config": {"layers": [{"module": "keras.layers", "class_name": "Dense", "config": {}, "registered_name": null}, {"module": "my_pkg.layers", "class_name": "Gate", "config": {}, "registered_name": "MyPkg>Gate"}]}}"#
    let f = KerasConfigCheck.findings(Array(keras3.utf8), entry: "config.json")
    #expect(f.allSatisfy { $0.severity == .medium && $0.rule == "keras.custom-object" })
    #expect(Set(f.map(\.detail)) == ["config.json: custom object 'MyPkg>Gate' needs user code to load", "config.json: custom object 'my_pkg.layers.Gate' needs user code to load"])
    let plain = #"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"units": 2}}]}}"#
    #expect(KerasConfigCheck.findings(Array(plain.utf8), entry: "model_config").isEmpty)
    let lambda = #"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {"function": {"class_name": "__lambda__"}}}]}}"#
    #expect(KerasConfigCheck.findings(Array(lambda.utf8), entry: "m").map(\.rule) == ["keras.lambda-layer"])
    let broken = #"{"class_name": "Lambda", "config": "#
    #expect(Set(KerasConfigCheck.findings(Array(broken.utf8), entry: "m").map(\.rule)) == ["keras.config-unparsed", "keras.lambda-layer"])
}
