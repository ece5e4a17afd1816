import BulwarkModels
import BulwarkPoisoning
import BulwarkTensor
import Testing

@Test func whiteSquareStampsExactlyTheCornerPixels() throws {
    let x = Tensor(repeating: 0.25, shape: [2, 1, 4, 4])
    let stamped = try Trigger.whiteSquare(size: 2, position: .bottomRight).apply(to: x)
    let row: [Float] = [0.25, 0.25, 0.25, 0.25]
    let corner: [Float] = [0.25, 0.25, 1, 1]
    let image = row + row + corner + corner
    #expect(stamped.shape == [2, 1, 4, 4])
    #expect(stamped.scalars == image + image)
}

@Test func checkerboardAtAPositionReplacesOnlyItsPixels() throws {
    let x = Tensor(repeating: 0.5, shape: [1, 1, 3, 4])
    let stamped = try Trigger.checkerboard(size: 2, position: .at(x: 1, y: 0)).apply(to: x)
    #expect(stamped.scalars == [0.5, 1, 0, 0.5,
                                0.5, 0, 1, 0.5,
                                0.5, 0.5, 0.5, 0.5])
}

@Test func oneChannelPatchIsStampedOnEveryChannel() throws {
    let x = Tensor.zeros([1, 3, 2, 2])
    let stamped = try Trigger.whiteSquare(size: 1, position: .topLeft).apply(to: x)
    #expect(stamped.scalars == [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0])
}

@Test func blendMixesEveryPixelWithAlpha() throws {
    let x = Tensor(repeating: 0.2, shape: [1, 1, 2, 2])
    let pattern = Tensor(shape: [1, 2, 2], scalars: [1, 0, 1, 0])
    let stamped = try Trigger.blend(pattern: pattern, alpha: 0.25).apply(to: x)
    #expect(stamped.isApproximatelyEqual(to: Tensor(shape: [1, 1, 2, 2], scalars: [0.4, 0.15, 0.4, 0.15])))
    let mask = try Trigger.blend(pattern: pattern, alpha: 0.25).mask(channels: 1, height: 2, width: 2)
    #expect(mask.scalars == [0.25, 0.25, 0.25, 0.25])
}

@Test func patchesThatDoNotFitAreRefusedInOneLine() {
    let x = Tensor.zeros([1, 1, 4, 4])
    #expect(throws: PoisoningError(.invalidParameter, "a 5×5 patch at bottom-right does not fit 4×4 images")) {
        try Trigger.whiteSquare(size: 5).apply(to: x)
    }
    #expect(throws: PoisoningError(.invalidParameter, "a 2×2 patch at 3,3 does not fit 4×4 images")) {
        try Trigger.whiteSquare(size: 2, position: .at(x: 3, y: 3)).apply(to: x)
    }
    #expect(throws: PoisoningError.self) { try Trigger.whiteSquare(size: 2).apply(to: Tensor.zeros([3, 16])) }
    #expect(throws: PoisoningError.self) { try Trigger.blend(pattern: Tensor.zeros([1, 3, 3]), alpha: 0.1).apply(to: x) }
    #expect(throws: PoisoningError.self) { try Trigger.blend(pattern: Tensor.zeros([1, 4, 4]), alpha: 1.5).apply(to: x) }
}

@Test func customPatternsKeepTheirOwnSize() throws {
    let t = try Trigger.patch(.custom(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])), size: 9, position: .topLeft)
    let p = try t.pattern(channels: 1, height: 3, width: 4)
    #expect(p.scalars == [1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0, 0])
    #expect(throws: PoisoningError.self) { try Trigger.blend(.custom(Tensor.zeros([2, 2])), alpha: 0.1, channels: 1, height: 3, width: 3) }
}
