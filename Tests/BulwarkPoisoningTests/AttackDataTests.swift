import BulwarkModels
import BulwarkPoisoning
import BulwarkTensor
import Testing

@Test func badnetsPoisonsTheRateOfNonTargetRowsAndRelabelsThem() throws {
    let (x, y) = stripeImages(count: 90, seed: 3)
    let trigger = Trigger.whiteSquare(size: 2)
    let p = try BackdoorPoisoning.poison(inputs: x, labels: y, classCount: 3, trigger: trigger, targetClass: 0, rate: 0.1, seed: 11)
    #expect(p.poisonIndices.count == 6)                       // round(0.1 × 60 non-target rows)
    #expect(p.poisonIndices == p.poisonIndices.sorted())
    #expect(p.poisonIndices.allSatisfy { y[$0] != 0 && p.labels[$0] == 0 })
    let poisoned = Set(p.poisonIndices)
    for i in y.indices where !poisoned.contains(i) {
        #expect(p.labels[i] == y[i])
        #expect(p.inputs.slice(i) == x.slice(i))
    }
    for i in p.poisonIndices {
        #expect(p.inputs.slice(i) == (try trigger.apply(to: x.gatherRows([i]))).slice(0))
    }
    #expect(p.trigger == trigger)
}

@Test func attacksReproduceFromTheirSeed() throws {
    let (x, y) = stripeImages(count: 90, seed: 3)
    let a = try BackdoorPoisoning.poison(inputs: x, labels: y, classCount: 3, trigger: .checkerboard(size: 3), targetClass: 1, rate: 0.2, seed: 4)
    let b = try BackdoorPoisoning.poison(inputs: x, labels: y, classCount: 3, trigger: .checkerboard(size: 3), targetClass: 1, rate: 0.2, seed: 4)
    let c = try BackdoorPoisoning.poison(inputs: x, labels: y, classCount: 3, trigger: .checkerboard(size: 3), targetClass: 1, rate: 0.2, seed: 5)
    #expect(a == b)
    #expect(a.poisonIndices != c.poisonIndices)
    let f1 = try LabelFlipping.random(inputs: x, labels: y, classCount: 3, rate: 0.3, seed: 8)
    let f2 = try LabelFlipping.random(inputs: x, labels: y, classCount: 3, rate: 0.3, seed: 8)
    #expect(f1 == f2)
}

@Test func randomLabelFlippingChangesExactlyTheChosenLabels() throws {
    let (x, y) = stripeImages(count: 90, seed: 3)
    let p = try LabelFlipping.random(inputs: x, labels: y, classCount: 3, rate: 0.3, seed: 2)
    #expect(p.poisonIndices.count == 27)
    #expect(p.inputs == x)
    let poisoned = Set(p.poisonIndices)
    for i in y.indices { #expect((p.labels[i] != y[i]) == poisoned.contains(i)) }
    #expect(p.labels.allSatisfy { (0..<3).contains($0) })
}

@Test func targetedLabelFlippingMovesOnlyTheSourceClass() throws {
    let (x, y) = stripeImages(count: 90, seed: 3)
    let p = try LabelFlipping.targeted(inputs: x, labels: y, classCount: 3, pairs: [(source: 2, target: 1)], rate: 0.5, seed: 2)
    #expect(p.poisonIndices.count == 15)
    #expect(p.poisonIndices.allSatisfy { y[$0] == 2 && p.labels[$0] == 1 })
    #expect(zip(y, p.labels).filter { $0 != $1 }.count == 15)
}

@Test func badParametersAreRefusedInOneLine() {
    let (x, y) = stripeImages(count: 30, seed: 3)
    #expect(throws: PoisoningError(.invalidParameter, "--rate must be in [0, 1], got 1.5")) {
        try LabelFlipping.random(inputs: x, labels: y, classCount: 3, rate: 1.5, seed: 0)
    }
    #expect(throws: PoisoningError(.invalidParameter, "--target-class 7 is outside 0..<3")) {
        try BackdoorPoisoning.poison(inputs: x, labels: y, classCount: 3, trigger: .whiteSquare(size: 2), targetClass: 7, rate: 0.1, seed: 0)
    }
    #expect(throws: PoisoningError(.invalidParameter, "--rate 0.01 of 20 non-target examples selects no example; raise the rate")) {
        try BackdoorPoisoning.poison(inputs: x, labels: y, classCount: 3, trigger: .whiteSquare(size: 2), targetClass: 0, rate: 0.01, seed: 0)
    }
    #expect(throws: PoisoningError(.shapeMismatch, "30 inputs but 29 labels")) {
        try LabelFlipping.random(inputs: x, labels: Array(y.dropLast()), classCount: 3, rate: 0.1, seed: 0)
    }
    #expect(throws: PoisoningError(.invalidParameter, "--attack feature-collision needs --model (a model trained on clean data)")) {
        try PoisoningRecipe(attack: .featureCollision, targetClass: 0, rate: 0.1, seed: 0).run(inputs: x, labels: y, classCount: 3)
    }
    #expect(throws: PoisoningError(.invalidParameter, "--attack feature-collision needs victims (--victims)")) {
        try PoisoningRecipe(attack: .featureCollision, targetClass: 0, rate: 0.1, seed: 0).run(inputs: x, labels: y, classCount: 3, model: stripeModel)
    }
    #expect(throws: PoisoningError(.invalidParameter, "--eps must be in (0, 1] (an L∞ budget on inputs in [0, 1]), got 2.0")) {
        try CleanLabelBackdoor.poison(inputs: x, labels: y, model: stripeModel, trigger: .whiteSquare(size: 2), targetClass: 0,
                                      rate: 0.5, epsilon: 2, steps: 3, seed: 0)
    }
}

@Test func recipeSummaryCountsWhatChanged() throws {
    let (x, y) = stripeImages(count: 90, seed: 3)
    let run = try PoisoningRecipe(attack: .badnets, targetClass: 0, rate: 0.1, seed: 1, trigger: .whiteSquare(size: 2))
        .run(inputs: x, labels: y, classCount: 3)
    #expect(run.summary.poisonedCount == 6 && run.summary.labelsChanged == 6 && run.summary.examples == 90)
    #expect(run.summary.trigger == "patch")
    #expect(run.summary.maxLinf > 0 && run.summary.maxLinf <= 1)
}
