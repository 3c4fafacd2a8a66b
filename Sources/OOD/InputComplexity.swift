// Input complexity (Serrà et al., ICLR 2020): S(x) = −log₂ p(x) − L(x), both in bits, where L(x)
// is the length of a lossless compression of x. The compressor here is VAEKit's PNG encoder
// (8-bit grayscale or RGB, filter type 0 on every row, zlib/deflate level 9); Serrà et al. and the
// Likelihood Regret code used OpenCV's PNG writer at level 9 (adaptive row filters), so L(x) can
// differ by a few bytes per image. Unlike the LR code, the NLL is converted from nats to bits.

import Datasets
import Storage

/// Compression lengths and input-complexity scores.
public enum InputComplexity {
    /// L(x) in bits for every image of `set` (PNG of the first 1 or 3 channels).
    public static func compressedBits(_ set: ImageDataset) -> [Double] {
        let channels = set.channels == 3 ? 3 : 1
        let plane = set.height * set.width
        return (0..<set.count).map { image in
            var pixels = [UInt8](repeating: 0, count: plane * channels)
            for c in 0..<channels {
                for p in 0..<plane {
                    pixels[p * channels + c] = set.images[(image * set.channels + c) * plane + p]
                }
            }
            let png = PNGImage(width: set.width, height: set.height, channels: channels, pixels: pixels)
            return Double(png.encoded().count * 8)
        }
    }

    /// S(x) = NLL(x)/ln 2 − L(x): higher means more OOD.
    public static func scores(negativeLogLikelihoodNats: [Double], compressedBits: [Double]) -> [Double] {
        precondition(negativeLogLikelihoodNats.count == compressedBits.count, "one NLL per image")
        return zip(negativeLogLikelihoodNats, compressedBits).map { $0 / 0.693_147_180_559_945_3 - $1 }
    }
}
