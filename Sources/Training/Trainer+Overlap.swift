// The all-reduce overlapped with the backward pass (as DDP and Horovod do): the gradient arena is
// cut into buckets of at most `training.allreduce_bucket_mb`, last layers first; as soon as every
// gradient in a bucket is final, its non-blocking all-reduce starts, and the backward pass goes on
// computing the earlier layers' gradients meanwhile (MPI is given a chance to move the started
// reductions after each parameter). The step waits for all of them before the optimizer. Buckets
// start in the same order on every rank (MPI requires it): the plan's order, each once its
// predecessors have started. Used with one worker per rank and several ranks when
// `training.overlap_allreduce` is on (off by default: on 2 cores it was slower, bench/cluster_links.sh);
// the result equals the blocking reduction's up to the order of float sums.

import Cluster
import NN
import TensorCore

/// Which arena entries make up each bucket, last entries (last layers) first.
struct BucketPlan {
    /// Element ranges of the arena, in start order.
    let ranges: [Range<Int>]
    /// The bucket of each arena entry.
    let bucketOfEntry: [Int]
    /// Entries per bucket.
    let entryCounts: [Int]

    init(arena: ParameterArena, bucketElements: Int) {
        let order = arena.entries.indices.sorted { arena.entries[$0].offset > arena.entries[$1].offset }
        var ranges: [Range<Int>] = []
        var bucketOfEntry = [Int](repeating: 0, count: arena.entries.count)
        var entryCounts: [Int] = []
        var current: Range<Int>?
        for index in order {
            let entry = arena.entries[index]
            let range = entry.offset..<(entry.offset + entry.count)
            if let open = current, open.count + range.count <= max(bucketElements, 1) {
                current = range.lowerBound..<open.upperBound
                entryCounts[entryCounts.count - 1] += 1
            } else {
                if let open = current { ranges.append(open) }
                current = range
                entryCounts.append(1)
            }
            bucketOfEntry[index] = entryCounts.count - 1
        }
        if let open = current { ranges.append(open) }
        self.ranges = ranges
        self.bucketOfEntry = bucketOfEntry
        self.entryCounts = entryCounts
    }
}

extension Trainer {
    /// Whether steps overlap the gradient all-reduce with the backward pass.
    var overlapsAllReduce: Bool {
        config.training.overlapAllReduce && communicator.size > 1 && workerGradients.count == 1
            && !config.training.reproducibleReduction
    }

    /// This rank's share `indices` in one pass straight into the arena's gradients, each bucket
    /// reduced as soon as it is final; returns the share's loss terms.
    func overlappedGradient(
        _ indices: [Int], step: Int, scale: Float, started computeStart: ContinuousClock.Instant
    ) throws -> StepTerms {
        let plan = bucketPlan()
        let gradients = model.arena.gradients
        var remaining = plan.entryCounts
        var nextToStart = 0
        var poisoned = false
        var failure: Error?
        let communicator = self.communicator
        let terms = workerPass(
            indices, step: step, scale: scale, worker: 0, destination: gradients,
            onLoss: { loss in poisoned = !loss.isFinite },
            onParameter: { entry in
                remaining[plan.bucketOfEntry[entry]] -= 1
                while nextToStart < plan.ranges.count, remaining[nextToStart] == 0, failure == nil {
                    let range = plan.ranges[nextToStart]
                    // A non-finite local loss poisons the local gradient (as in the blocking path).
                    if poisoned, range.contains(0) { gradients.pointer[0] = .nan }
                    do {
                        try communicator.startAllReduceSum(
                            UnsafeMutableBufferPointer(
                                start: gradients.pointer + range.lowerBound, count: range.count))
                    } catch { failure = error }
                    nextToStart += 1
                }
                communicator.progressAllReduces()
            })
        if let failure { throw failure }
        precondition(nextToStart == plan.ranges.count, "a bucket's gradients were never all final")
        let reduceStart = ContinuousClock.now
        stepSeconds.compute += (reduceStart - computeStart) / .seconds(1)
        try communicator.finishAllReduces()
        stepSeconds.allReduce += (ContinuousClock.now - reduceStart) / .seconds(1)
        return terms
    }

    private func bucketPlan() -> BucketPlan {
        if let plan = buckets { return plan }
        let plan = BucketPlan(
            arena: model.arena,
            bucketElements: config.training.allReduceBucketMegabytes * (1 << 20) / MemoryLayout<Float>.stride)
        buckets = plan
        return plan
    }
}
