// Grey 28×28 digit images in MNIST's format, drawn offline from Debian's fonts, for the OOD case
// of the Likelihood Regret paper (a Fashion-MNIST model shown digits). Each image: a digit 0–9,
// a font (handwriting-like and print families), a random affine map (rotation, shear, aspect),
// a stroke width and a blur; then MNIST's normalization — the glyph scaled (area-averaged,
// aspect kept) to fit a 20×20 box, placed in 28×28 with its centre of mass at the centre.

import Foundation
import Storage
import TensorCore

/// Generated digit images.
public enum DigitImages {
    /// The fonts drawn from, with their Debian packages; those installed are used.
    static let fonts: [(path: String, package: String)] = [
        ("truetype/breip/breipfont.ttf", "fonts-breip"),
        ("truetype/fifthhorseman/dkg.ttf", "fonts-dkg-handwriting"),
        ("truetype/fifthhorseman/dkgIt.ttf", "fonts-dkg-handwriting"),
        ("truetype/fifthhorseman/dkgBd.ttf", "fonts-dkg-handwriting"),
        ("truetype/femkeklaver/femkeklaver.ttf", "fonts-femkeklaver"),
        ("truetype/humor-sans/Humor-Sans.ttf", "fonts-humor-sans"),
        ("opentype/comic-neue/ComicNeue-Regular.otf", "fonts-comic-neue"),
        ("opentype/comic-neue/ComicNeue-Italic.otf", "fonts-comic-neue"),
        ("opentype/comic-neue/ComicNeue-Light.otf", "fonts-comic-neue"),
        ("opentype/dancingscript/DancingScript-Regular.otf", "fonts-dancingscript"),
        ("opentype/urw-base35/Z003-MediumItalic.otf", "fonts-urw-base35"),
        ("opentype/urw-base35/URWGothic-Book.otf", "fonts-urw-base35"),
        ("opentype/urw-base35/P052-Italic.otf", "fonts-urw-base35"),
        ("opentype/urw-base35/NimbusSans-Regular.otf", "fonts-urw-base35"),
        ("truetype/dejavu/DejaVuSans.ttf", "fonts-dejavu-core"),
        ("truetype/dejavu/DejaVuSans-Oblique.ttf", "fonts-dejavu-extra"),
        ("truetype/dejavu/DejaVuSerif-Italic.ttf", "fonts-dejavu-extra"),
        ("truetype/liberation2/LiberationSans-Regular.ttf", "fonts-liberation2"),
        ("truetype/liberation2/LiberationSerif-Regular.ttf", "fonts-liberation2"),
        ("truetype/freefont/FreeSans.ttf", "fonts-freefont-ttf"),
        ("truetype/freefont/FreeSerifItalic.ttf", "fonts-freefont-ttf"),
    ]

    /// The Debian packages of the fonts.
    public static var packages: [String] {
        var seen: [String] = []
        for font in fonts where !seen.contains(font.package) { seen.append(font.package) }
        return seen
    }

    /// The font files installed under `root`, in the table's order.
    public static func installedFonts(root: String = "/usr/share/fonts") -> [String] {
        fonts.map { "\(root)/\($0.path)" }.filter { fileExists($0) }
    }

    /// Side of the images and of the box the glyph is scaled into (MNIST's 28 and 20).
    static let side = 28
    static let box = 20
    /// Pixels per em at which glyphs are rasterized before they are scaled down.
    static let renderSize = 96

    /// `count` images with labels 0–9, deterministic in (seed, split, image index): image i of a
    /// set is the same whatever the count. Throws when no font is installed.
    public static func generate(
        count: Int, seed: UInt64, split: String, fontRoot: String = "/usr/share/fonts"
    )
        throws -> ImageDataset
    {
        let paths = installedFonts(root: fontRoot)
        guard !paths.isEmpty else { throw DatasetError.noFonts(packages: packages) }
        let renderers = try paths.map { try GlyphRenderer(path: $0, pixelSize: renderSize) }
        let draws = Draws(seed: seed, .digitImages, split: DrawSplit(split))
        var images: [UInt8] = []
        images.reserveCapacity(count * side * side)
        var labels: [Int64] = []
        for index in 0..<count {
            let u = draws.generator(index).uniform([8]).scalars.map(Double.init)
            let label = min(9, Int(u[0] * 10))
            let renderer = renderers[min(renderers.count - 1, Int(u[1] * Double(renderers.count)))]
            // Rotation ±15°, shear ±0.3, width 0.75–1.15 of the font's: y up, as FreeType's.
            let angle = (u[2] - 0.5) * 30 * Double.pi / 180
            let shear = (u[3] - 0.5) * 0.6
            let aspect = 0.75 + 0.4 * u[4]
            let (c, s) = (cos(angle), sin(angle))
            // R · [[1, shear], [0, 1]] · diag(aspect, 1)
            let matrix = [c * aspect, c * shear - s, s * aspect, s * shear + c]
            // Stroke widening: 2–9 % of the em, from thin fonts to MNIST's pen strokes.
            let embolden = (0.02 + 0.07 * u[5]) * Double(renderSize)
            let glyph = try renderer.render(
                Unicode.Scalar(UInt8(48 + label)), matrix: matrix, embolden: embolden)
            let blur = 0.7 * u[6]
            images += normalized(glyph.pixels, rows: glyph.rows, width: glyph.width, blur: blur)
            labels.append(Int64(label))
        }
        var set = ImageDataset(
            images: images, labels: labels, channels: 1, height: side, width: side, source: "digits",
            split: split)
        set.classNames = (0..<10).map { "digit \($0)" }
        return set
    }

    /// MNIST's normalization of one glyph bitmap: scaled into the 20×20 box (aspect kept, area
    /// averaging), centre of mass moved to the centre of 28×28, blurred with a Gaussian of
    /// `blur` pixels, the darkest stroke stretched to 255.
    static func normalized(_ pixels: [UInt8], rows: Int, width: Int, blur: Double) -> [UInt8] {
        let scale = Double(box) / Double(max(rows, width))
        let outWidth = max(1, min(box, Int((Double(width) * scale).rounded())))
        let outRows = max(1, min(box, Int((Double(rows) * scale).rounded())))
        let across = areaWeights(from: width, to: outWidth)
        let down = areaWeights(from: rows, to: outRows)
        var horizontal = [Double](repeating: 0, count: rows * outWidth)
        for y in 0..<rows {
            for (k, taps) in across.enumerated() {
                horizontal[y * outWidth + k] = taps.reduce(0) {
                    $0 + $1.weight * Double(pixels[y * width + $1.index])
                }
            }
        }
        var scaled = [Double](repeating: 0, count: outRows * outWidth)
        for (j, taps) in down.enumerated() {
            for k in 0..<outWidth {
                scaled[j * outWidth + k] =
                    taps.reduce(0) { $0 + $1.weight * horizontal[$1.index * outWidth + k] } / 255
            }
        }
        // Centre of mass, pixel centres at i + ½.
        var (mass, sumX, sumY) = (0.0, 0.0, 0.0)
        for y in 0..<outRows {
            for x in 0..<outWidth {
                let value = scaled[y * outWidth + x]
                mass += value
                sumX += value * (Double(x) + 0.5)
                sumY += value * (Double(y) + 0.5)
            }
        }
        let (centreX, centreY) =
            mass > 0 ? (sumX / mass, sumY / mass) : (Double(outWidth) / 2, Double(outRows) / 2)
        let half = Double(side) / 2
        let left = min(max(0, Int((half - centreX).rounded())), side - outWidth)
        let top = min(max(0, Int((half - centreY).rounded())), side - outRows)
        var image = [Double](repeating: 0, count: side * side)
        for y in 0..<outRows {
            for x in 0..<outWidth { image[(top + y) * side + left + x] = scaled[y * outWidth + x] }
        }
        if blur > 0.05 { image = blurred(image, sigma: blur) }
        let peak = image.max() ?? 0
        let gain = peak > 0 ? 255 / peak : 0
        return image.map { UInt8(min(255, max(0, ($0 * gain).rounded()))) }
    }

    /// Area averaging from `count` samples to `target`: output k averages the input interval
    /// [k, k + 1)·count/target, each input sample weighted by its overlap.
    static func areaWeights(from count: Int, to target: Int) -> [[(index: Int, weight: Double)]] {
        let ratio = Double(count) / Double(target)
        return (0..<target).map { k in
            let (start, end) = (Double(k) * ratio, Double(k + 1) * ratio)
            var taps: [(index: Int, weight: Double)] = []
            var position = Int(start)
            while Double(position) < end && position < count {
                let overlap = min(end, Double(position + 1)) - max(start, Double(position))
                if overlap > 0 { taps.append((position, overlap / ratio)) }
                position += 1
            }
            return taps
        }
    }

    /// A separable Gaussian blur of a side×side image (zero outside).
    static func blurred(_ image: [Double], sigma: Double) -> [Double] {
        let radius = Int((3 * sigma).rounded(.up))
        var weights = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let total = weights.reduce(0, +)
        weights = weights.map { $0 / total }
        func pass(_ input: [Double], horizontal: Bool) -> [Double] {
            var output = [Double](repeating: 0, count: input.count)
            for y in 0..<side {
                for x in 0..<side {
                    var sum = 0.0
                    for (offset, weight) in zip(-radius...radius, weights) {
                        let (sx, sy) = horizontal ? (x + offset, y) : (x, y + offset)
                        if sx >= 0, sx < side, sy >= 0, sy < side { sum += weight * input[sy * side + sx] }
                    }
                    output[y * side + x] = sum
                }
            }
            return output
        }
        return pass(pass(image, horizontal: true), horizontal: false)
    }
}
