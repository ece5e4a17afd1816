import Foundation
import Testing
@testable import BulwarkTensor

/// `serially` keeps batch-parallel loops on the calling thread, only there and only inside it.
@Suite struct SeriallyTests {
    /// The ranges `parallelChunks` hands its body for a loop large enough to be split.
    private func chunks() -> [Range<Int>] {
        let lock = NSLock()
        var seen: [Range<Int>] = []
        parallelChunks(1000, costPerItem: 1000) { range in lock.withLock { seen.append(range) } }
        return seen.sorted { $0.lowerBound < $1.lowerBound }
    }

    @Test func loopsInsideRunAsOneChunkAndOutsideSplitAgain() {
        #expect(serially { chunks() } == [0..<1000])
        #expect(serially { serially { currentWorkerCount } } == 1)
        let outside = chunks()
        #expect(outside.count == min(parallelWorkerCount, 1000), "split again after serially returns")
        #expect(outside.first?.lowerBound == 0 && outside.last?.upperBound == 1000)
    }

    @Test func otherThreadsAreNotAffected() async {
        let elsewhere = await withCheckedContinuation { (done: CheckedContinuation<Int, Never>) in
            serially {
                let thread = Thread { done.resume(returning: currentWorkerCount) }
                thread.start()
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        #expect(elsewhere == parallelWorkerCount)
    }

    @Test func productsInsideGiveTheSameValues() {
        var rng = SeededGenerator(seed: 3)
        let a = Tensor.normal([96, 300], using: &rng), b = Tensor.normal([300, 200], using: &rng)
        let split = Tensor.matmul(a, b)
        let alone = serially { Tensor.matmul(a, b) }
        #expect(alone.shape == split.shape)
        #expect(zip(alone.scalars, split.scalars).allSatisfy { abs($0 - $1) < 1e-3 })
    }
}
