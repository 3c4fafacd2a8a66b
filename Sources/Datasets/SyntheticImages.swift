// Generated image sets: uniform noise and constant images.

import TensorCore

/// Image sets made in code, keyed by a seed.
public enum SyntheticImages {
    /// Every pixel uniform on 0...255.
    public static func noise(count: Int, channels: Int, height: Int, width: Int, seed: UInt64) -> ImageDataset
    {
        let size = channels * height * width
        let draws = Draws(seed: seed, .noiseImages).generator(0).uniform([count * size])
        let images = draws.scalars.map { UInt8(min(255, Int($0 * 256))) }
        return ImageDataset(
            images: images, labels: [Int64](repeating: -1, count: count), channels: channels, height: height,
            width: width, source: "noise", split: "generated")
    }

    /// Each image one intensity, uniform on 0...255.
    public static func constant(count: Int, channels: Int, height: Int, width: Int, seed: UInt64)
        -> ImageDataset
    {
        let size = channels * height * width
        let levels = Draws(seed: seed, .constantImages).generator(0).uniform([count]).scalars
        var images: [UInt8] = []
        images.reserveCapacity(count * size)
        for level in levels {
            images.append(contentsOf: repeatElement(UInt8(min(255, Int(level * 256))), count: size))
        }
        return ImageDataset(
            images: images, labels: [Int64](repeating: -1, count: count), channels: channels, height: height,
            width: width, source: "constant", split: "generated")
    }
}
