// Transformed copies of a dataset, used as offline out-of-distribution sets (Likelihood Regret
// paper: vertically flipped and inverted Fashion-MNIST).

extension ImageDataset {
    /// Every image flipped upside down (rows reversed).
    public func flippedVertically() -> ImageDataset {
        var output = images
        let plane = height * width
        for image in 0..<count {
            for channel in 0..<channels {
                let base = (image * channels + channel) * plane
                for row in 0..<height {
                    let source = base + row * width
                    let target = base + (height - 1 - row) * width
                    for column in 0..<width { output[target + column] = images[source + column] }
                }
            }
        }
        var copy = self
        (copy.images, copy.source) = (output, "\(source)+vflip")
        return copy
    }

    /// Every pixel replaced by 255 − value.
    public func inverted() -> ImageDataset {
        var copy = self
        (copy.images, copy.source) = (images.map { 255 - $0 }, "\(source)+invert")
        return copy
    }
}
