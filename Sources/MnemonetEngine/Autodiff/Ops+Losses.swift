/// Losses (mean reduction, as PyTorch's defaults).

/// mean((prediction − target)²) (`F.mse_loss`). Shapes must match.
public func mseLoss(_ prediction: Variable, _ target: Variable) -> Variable {
    precondition(prediction.shape == target.shape, "mseLoss: prediction \(prediction.shape) vs target \(target.shape)")
    return (prediction - target).squared().mean()
}

/// −mean_n log softmax(logits[n])[targets[n]] (`F.cross_entropy`) for logits [N, C] and class indices in 0..<C.
public func crossEntropyLoss(_ logits: Variable, targets: [Int]) -> Variable {
    precondition(logits.rank == 2 && logits.shape[0] == targets.count,
                 "crossEntropyLoss: logits \(logits.shape) for \(targets.count) targets")
    let c = logits.shape[1]
    precondition(targets.allSatisfy { $0 >= 0 && $0 < c }, "crossEntropyLoss: a target is outside 0..<\(c)")
    return -logits.logSoftmax().gather(axis: -1, indices: targets, count: 1).mean()  // picks [N, 1]
}
