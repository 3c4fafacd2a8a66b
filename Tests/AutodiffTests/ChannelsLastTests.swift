// Channels-last convolutions compute the same function as the channels-first ones.

import Autodiff
import Testing

@testable import TensorCore

@Suite struct ChannelsLastTests {
    @Test(arguments: [(1, 0), (2, 1), (1, 1)])
    func conv2dAgreesWithChannelsFirst(stride: Int, padding: Int) {
        let x = Philox(seed: 1).normal([2, 3, 6, 5])
        let weight = Philox(seed: 2).normal([4, 3, 3, 3])
        let bias = Philox(seed: 3).normal([4])
        let first = conv2d(
            Variable(x), weight: Variable(weight), bias: Variable(bias), stride: stride, padding: padding)
        let last = conv2dChannelsLastTrace(
            Variable(x.permuted([0, 2, 3, 1])), weight: Variable(weight), bias: Variable(bias),
            stride: stride,
            padding: padding
        ).output
        let difference =
            (first.value - last.value.permuted([0, 3, 1, 2])).abs().max(alongAxis: 0).scalars.max() ?? 1
        #expect(difference < 1e-4)
    }

    @Test(arguments: [(2, 1, 0), (1, 0, 0), (2, 1, 1)])
    func convTransposeAgreesWithChannelsFirst(stride: Int, padding: Int, outputPadding: Int) {
        let x = Philox(seed: 4).normal([2, 3, 4, 3])
        let weight = Philox(seed: 5).normal([3, 2, 4, 4])
        let bias = Philox(seed: 6).normal([2])
        let first = convTranspose2d(
            Variable(x), weight: Variable(weight), bias: Variable(bias), stride: stride, padding: padding,
            outputPadding: outputPadding)
        let last = convTranspose2dChannelsLastTrace(
            Variable(x.permuted([0, 2, 3, 1])), weight: Variable(weight), bias: Variable(bias),
            stride: stride,
            padding: padding, outputPadding: outputPadding
        ).output
        #expect(first.shape == [2, 2] + Array(last.shape[1...2]))
        let difference =
            (first.value - last.value.permuted([0, 3, 1, 2])).abs().max(alongAxis: 0).scalars.max() ?? 1
        #expect(difference < 1e-4)
    }
}
