import Glibc
import MnemonetBase
import MnemonetEngine

/// Benchmark hook (bench/bench_floors.py, issue 13): where a step without replay spends its time.
extension ContinualLearningAgent {
    /// The names of the phases `benchmarkPlainStepPhases` times, in its output order.
    public static let plainStepPhaseNames = ["train_step", "checks_snapshot_copy", "forward", "loss",
                                             "replay_record_push", "pullback", "gradient_norms", "adam"]

    /// CPU nanoseconds (this thread's clock) per call of a whole step without replay on (x [I], y [O]), and of each of
    /// its phases run alone, in the order of `plainStepPhaseNames`: input checks + memory snapshot + copies of x and
    /// y; the forward (encode, memory read and write, decode; recorded); the loss; the replay undo record + push;
    /// the one-row pullback (no weight-gradient buffers); the gradient norms (biases plus three outer products);
    /// Adam over the seven trainable blocks (three outer-product updates, four bias updates). Each phase runs
    /// `iterations` times in a row, median of `repeats`, after one warm-up round. The phases are the very calls
    /// `trainStep` makes, in its order, so their sum is the step minus its call overhead.
    ///
    /// This changes the agent (weights, moments, memory, replay contents): use a throwaway agent.
    public func benchmarkPlainStepPhases(x: UnsafePointer<Float>, y: UnsafePointer<Float>, iterations: Int,
                                         repeats: Int, into result: UnsafeMutablePointer<Double>) throws(MnemonetError) {
        try require(iterations >= 1 && iterations <= 1 << 24, "iterations must be in 1...2^24, got \(iterations)")
        try require(repeats >= 1 && repeats <= 1000, "repeats must be in 1...1000, got \(repeats)")
        let i = inputDim, o = outputDim, c = controller
        try requireFinite(UnsafeBufferPointer(start: x, count: i), "x")
        try requireFinite(UnsafeBufferPointer(start: y, count: o), "y")
        func now() -> UInt64 {
            var ts = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
            return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
        }
        func time(_ body: () throws(MnemonetError) -> Void) throws(MnemonetError) -> Double {
            for _ in 0..<iterations { try body() }  // warm-up
            var samples: [Double] = []
            for _ in 0..<repeats {
                let t0 = now()
                for _ in 0..<iterations { try body() }
                samples.append(Double(now() - t0) / Double(iterations))
            }
            samples.sort()
            return samples[samples.count / 2]
        }
        result[0] = try time { () throws(MnemonetError) in _ = try trainStep(x: x, y: y, useReplay: false) }
        result[1] = try time { () throws(MnemonetError) in
            try requireFinite(UnsafeBufferPointer(start: x, count: i), "x")
            try requireFinite(UnsafeBufferPointer(start: y, count: o), "y")
            snapshotMemory()
            c.inputs.update(from: x, count: i)
            c.targets.update(from: y, count: o)
        }
        result[2] = try time { c.forward(row: 0, bank: memoryBank, record: true) }
        var current: Float = 0
        result[3] = try time { current = c.loss(row: 0) }
        result[4] = try time { () throws(MnemonetError) in
            replay.record(replayUndo)
            try replay.add(item: pushFields, priority: Double(current) + 1e-6)
        }
        scales[0] = 1
        result[5] = try time { c.pullback(count: 1, scales: scales, weightGradients: false) }
        var coefficient: Float = 1
        result[6] = try time {
            coefficient = clipCoefficient(totalNorm: Float(oneRowGradientNormSquared().squareRoot()), maxNorm: clipNorm)
        }
        result[7] = try time { oneRowAdam(scale: coefficient) }
    }
}
