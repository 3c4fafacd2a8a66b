// Elementwise kernels that must vectorize: exp/log-based likelihood terms and the Adam update.
// Compiled once per instruction set (AVX-512, AVX2+FMA, baseline) and chosen at load time.
#ifndef VAEKIT_C_TENSOR_KERNELS_H
#define VAEKIT_C_TENSOR_KERNELS_H

// out = max(z, 0) − z·t + log(1 + e^−|z|): binary cross-entropy of logits z against targets t.
void vk_bce_with_logits(const float *z, const float *t, float *out, long n);
// out = g·(σ(z) − t): its gradient with respect to z, scaled by g.
void vk_logistic_residual(const float *g, const float *z, const float *t, float *out, long n);
// Rows of `classes` logits x (row r at x + r·classes): loss[r] = log Σ_k e^{x_rk} − x_r,label[r] and
// residual[r] = softmax(x_r) − onehot(label[r]) (the gradient of loss[r]), in one pass per row;
// a null residual computes the losses only.
void vk_categorical_nll(const float *x, const int *labels, float *loss, float *residual, long rows,
                        long classes);
// out[r] = g[r]·residual[r] for rows of `classes` values.
void vk_scale_rows(const float *g, const float *residual, float *out, long rows, long classes);
// out = e^x.
void vk_exp(const float *x, float *out, long n);
// out = σ(x).
void vk_sigmoid(const float *x, float *out, long n);
// out = log(1 + e^x).
void vk_softplus(const float *x, float *out, long n);
// One Adam step over n parameters (torch.optim.Adam with L2 weight decay).
void vk_adam(float *p, const float *g, float *m, float *v, long n, float beta1, float beta2, float epsilon,
             float weight_decay, float step_size, float inverse_correction2);

// Sets flush-to-zero and denormals-are-zero in this thread's SSE control register (threads
// created afterwards inherit it). Denormal operands slow x86 arithmetic by ~100×; they arise in
// Adam's second moments of parameters whose gradients have become tiny.
void vk_flush_denormals(void);

// out = a + b.
void vk_add(const float *a, const float *b, float *out, long n);
// out += a.
void vk_add_into(float *out, const float *a, long n);
// One residue class (ry, rx) of a channels-last transposed convolution in sub-pixel form: the
// output pixels oy = first_row + stride·t (t < rows), ox = first_column + stride·u (u < columns)
// of every example, which see the input through the taps ky = ry + j·stride, kx = rx + l·stride
// (input pixel iy = (oy + padding − ky)/stride, ix likewise; zero outside the image).
typedef struct {
    long batch, height, width, in_channels, out_channels, out_height, out_width;
    long kernel, stride, padding, ry, rx, first_row, rows, first_column, columns;
} vk_subpixel_class;

// Windows of the class's output pixels start ..< start + count (example-major, then t, then u):
// row r of `windows` is [J·L·Cin], tap (j, l) at (j·L + l)·Cin.
void vk_subpixel_gather(const vk_subpixel_class *geometry, const float *x, float *windows, long start,
                        long count);
// Rows start ..< start + count of the class's GEMM product [count, Cout], plus bias (or not), into
// their output pixels of y [B, Hout, Wout, Cout] (rows in vk_subpixel_gather's order).
void vk_subpixel_scatter(const vk_subpixel_class *geometry, const float *product, const float *bias, float *y,
                         long start, long count);
// The class computed directly, for few output channels, for one example: y[oy, ox, co] =
// bias[co] (or 0) + Σ_{j, l} Σ_ci x[iy, ix, ci]·taps[(j·L + l)·Cout + co][ci], taps
// [J·L, Cout, Cin], reading x from `padded`, its channels-first copy with a zero border of
// `kernel` pixels ([Cin, H + 2k, W + 2k], 16 floats of slack after it: vk_channels_first_padded).
void vk_subpixel_direct(const vk_subpixel_class *geometry, const float *padded, const float *taps,
                        const float *bias, float *y);
// Writes x [H, W, C] into the interior of padded [C, H + 2·border, W + 2·border] (the border is
// left as it is: zero it once).
void vk_channels_first_padded(const float *x, float *padded, long height, long width, long channels, long border);

// TensorSketch's circular convolutions by FFT: out[e] = Σ_{p < positions} u[e·positions + p] ⊛
// v[e·positions + p] for e < examples, each row `size` floats (a power of two), ⊛ circular
// convolution ((a ⊛ b)[m] = Σ_j a[j]·b[(m − j) mod size]). Sixteen examples at a time, one per
// vector lane; u and v of a position share one complex FFT (u real, v imaginary).
void vk_circular_convolution_sums(const float *u, const float *v, float *out, long examples, long positions,
                                  long size);

// out[r] = Σ_j x[r·extent + j]: the sums of `rows` contiguous rows, sixteen partial sums per row
// (a row of 784 pixel terms is otherwise one chain of dependent adds).
void vk_row_sums(const float *x, float *out, long rows, long extent);

// 1 when every one of the n values is finite (no NaN, no ±∞), else 0.
int vk_all_finite(const float *x, long n);

// 2 (AVX-512), 1 (AVX2+FMA) or 0 (baseline): the code path the kernels take on this CPU.
int vk_instruction_level(void);

#endif
