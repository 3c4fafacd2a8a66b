// The three-dots dataset of Rhodes & Lee 2021 (official `threeDots.py`): white images (1) with
// three filled black dots (0) of radius 0.08 of the side; six factors (x₀, y₀, x₁, y₁, x₂, y₂),
// each an integer in 0..<n (n = side), a dot's centre at (factor / (n − 1)) of the side, x to the
// right and y down; dots may overlap. Edges are anti-aliased by 10×10 super-sampling, as the
// official code draws on a 10× canvas and area-averages.

import TensorCore

/// Renders three-dots images from factor values.
public struct ThreeDots: Sendable {
    /// Image side (the paper: 64).
    public let side: Int
    /// Values per factor (= side).
    public var factorValues: Int { side }
    /// Factors per image.
    public static let factorCount = 6

    /// A renderer for `side`×`side` images.
    public init(side: Int) { self.side = side }

    /// Writes one image's intensities (`side²` floats in [0, 1]) for `factors` (6 integers).
    public func render(_ factors: ArraySlice<Int>, into out: UnsafeMutableBufferPointer<Float>, offset: Int) {
        let n = Float(side)
        let radius = 0.08 * n
        let centers = (0..<3).map { dot -> (x: Float, y: Float) in
            let fx = Float(factors[factors.startIndex + 2 * dot]) / Float(factorValues - 1)
            let fy = Float(factors[factors.startIndex + 2 * dot + 1]) / Float(factorValues - 1)
            return (fx * n, fy * n)
        }
        for index in 0..<(side * side) { out[offset + index] = 1 }
        let reach = Int(radius.rounded(.up)) + 1
        for center in centers {
            let (cx, cy) = (Int(center.x), Int(center.y))
            for py in max(0, cy - reach)...min(side - 1, cy + reach) {
                for px in max(0, cx - reach)...min(side - 1, cx + reach) {
                    // Fraction of the pixel's 10×10 sub-samples inside any dot.
                    var inside = 0
                    for sy in 0..<10 {
                        let y = Float(py) + (Float(sy) + 0.5) / 10
                        for sx in 0..<10 {
                            let x = Float(px) + (Float(sx) + 0.5) / 10
                            for other in centers {
                                let (dx, dy) = (x - other.x, y - other.y)
                                if dx * dx + dy * dy <= radius * radius {
                                    inside += 1
                                    break
                                }
                            }
                        }
                    }
                    out[offset + py * side + px] = 1 - Float(inside) / 100
                }
            }
        }
    }

    /// Intensities `[B, 1, side, side]` of images with the given factors (`B × 6` integers).
    public func images(_ factors: [Int]) -> Tensor {
        let count = factors.count / ThreeDots.factorCount
        return Tensor(shape: [count, 1, side, side]) { out in
            for image in 0..<count {
                render(
                    factors[(image * 6)..<((image + 1) * 6)], into: out, offset: image * side * side)
            }
        }
    }

    /// `count` uniformly random factor vectors (`count × 6`) from `generator`.
    public func randomFactors(count: Int, generator: Philox) -> [Int] {
        generator.uniform([count * 6])
            .scalars
            .map { min(factorValues - 1, Int($0 * Float(factorValues))) }
    }

    /// A dataset of `count` random images (labels −1), as bytes.
    public func dataset(count: Int, seed: UInt64) -> ImageDataset {
        let intensities = images(
            randomFactors(count: count, generator: Draws(seed: seed, .threeDots).generator(0)))
        let bytes = intensities.scalars.map { UInt8(min(255, max(0, ($0 * 255).rounded()))) }
        return ImageDataset(
            images: bytes, labels: [Int64](repeating: -1, count: count), channels: 1, height: side,
            width: side,
            source: "three-dots", split: "generated")
    }
}
