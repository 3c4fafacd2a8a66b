// Global-norm gradient clipping (torch.nn.utils.clip_grad_norm_).

/// Scales `arena.gradients` so that their global L2 norm is at most `maximumNorm`.
///
/// The scale is `maximumNorm / (norm + 1e-6)` when below 1, as in PyTorch.
/// - Returns: the norm before clipping.
@discardableResult
public func clipGradientNorm(_ arena: ParameterArena, maximumNorm: Float) -> Float {
    let g = arena.gradients.pointer
    var squares: Double = 0
    for index in 0..<arena.count { squares += Double(g[index]) * Double(g[index]) }
    let norm = Float(squares.squareRoot())
    let scale = maximumNorm / (norm + 1e-6)
    if scale < 1 {
        for index in 0..<arena.count { g[index] *= scale }
    }
    return norm
}
