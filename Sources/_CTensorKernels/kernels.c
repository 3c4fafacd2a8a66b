// Vectorizable exp and log (Cephes single-precision polynomials, written branch-free so that
// the loops below auto-vectorize), and the kernels built on them. Each exported kernel is
// compiled for AVX-512, AVX2+FMA and the x86-64 baseline; the first call picks one from the
// CPU's feature flags.
//
// Accuracy: vk_exp within 2 ulp of expf on [-87, 88]; the log1p(e^−|z|) term of the BCE is
// within 1e-7 absolute (the test suite checks both against libm).

#include "ckernels.h"

#include <stdint.h>
#include <xmmintrin.h>
#include <string.h>
#include <stdlib.h>
#include <math.h>

// Dispatch by CPU features (not by CPU model: virtualised Xeons often report an unknown model,
// which defeats `arch=` clones just as it defeats OpenBLAS's own detection).
#if defined(__x86_64__)
#define VK_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")))
#define VK_AVX2 __attribute__((target("avx2,fma")))

static int vk_level(void) {
    static int level = -1;
    if (level < 0) {
        __builtin_cpu_init();
        level = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")
                    ? 2
                    : (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0);
    }
    return level;
}

// Defines `name` from one body compiled three times; `args` repeats the parameter names.
#define VK_KERNEL(name, params, args, body)                                                             \
    static inline __attribute__((always_inline)) void name##_body params body                          \
    VK_AVX512 static void name##_avx512 params { name##_body args; }                                    \
    VK_AVX2 static void name##_avx2 params { name##_body args; }                                        \
    static void name##_base params { name##_body args; }                                                \
    void name params {                                                                                  \
        switch (vk_level()) {                                                                           \
        case 2: name##_avx512 args; return;                                                             \
        case 1: name##_avx2 args; return;                                                               \
        default: name##_base args; return;                                                              \
        }                                                                                               \
    }
#else
#define VK_KERNEL(name, params, args, body) void name params body
#endif

int vk_instruction_level(void) {
#if defined(__x86_64__)
    return vk_level();
#else
    return 0;
#endif
}

static inline float bits_to_float(int32_t bits) {
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static inline int32_t float_to_bits(float value) {
    int32_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

// e^x: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial, 2^n by exponent bits.
static inline float vk_expf(float x) {
    x = x < -87.33654f ? -87.33654f : x;
    x = x > 88.72283f ? 88.72283f : x;
    float n = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * r * r + r + 1.0f;
    // 2^n, split in two factors so that n = 128 (x near the top of the range) stays finite.
    int32_t half = (int32_t)n / 2;
    float scale1 = bits_to_float((half + 127) << 23);
    float scale2 = bits_to_float(((int32_t)n - half + 127) << 23);
    return y * scale1 * scale2;
}

// log x for normal positive x: x = m·2^e with m in [√½, √2), log m by Cephes' polynomial.
static inline float vk_logf(float x) {
    int32_t bits = float_to_bits(x);
    int32_t exponent = ((bits >> 23) & 0xff) - 126;
    float m = bits_to_float((bits & 0x807fffff) | 0x3f000000);  // in [0.5, 1)
    int below = m < 0.707106781186547524f;
    exponent -= below;
    m = below ? m + m - 1.0f : m - 1.0f;
    float e = (float)exponent;
    float z = m * m;
    float y = 7.0376836292e-2f;
    y = y * m - 1.1514610310e-1f;
    y = y * m + 1.1676998740e-1f;
    y = y * m - 1.2420140846e-1f;
    y = y * m + 1.4249322787e-1f;
    y = y * m - 1.6668057665e-1f;
    y = y * m + 2.0000714765e-1f;
    y = y * m - 2.4999993993e-1f;
    y = y * m + 3.3333331174e-1f;
    y = y * m * z;
    y += -2.12194440e-4f * e;
    y += -0.5f * z;
    return m + y + 0.693359375f * e;
}

// log(1 + e^−a) for a ≥ 0: the stable tail of softplus. For e^−a < 2⁻¹² the series a−a²/2
// is exact to float precision (1 + e would round away the small term).
static inline float vk_log1p_exp_negative(float a) {
    float e = vk_expf(-a);
    float series = e - 0.5f * e * e;
    return e < 2.44140625e-4f ? series : vk_logf(1.0f + e);
}

VK_KERNEL(vk_bce_with_logits, (const float *z, const float *t, float *out, long n), (z, t, out, n), {
    for (long i = 0; i < n; i++) {
        float x = z[i];
        float a = x < 0 ? -x : x;
        out[i] = (x > 0 ? x : 0.0f) - x * t[i] + vk_log1p_exp_negative(a);
    }
})

VK_KERNEL(vk_logistic_residual, (const float *g, const float *z, const float *t, float *out, long n), (g, z, t, out, n), {
    for (long i = 0; i < n; i++) {
        float x = z[i];
        float e = vk_expf(x < 0 ? x : -x);  // e^−|x|
        float s = x >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
        out[i] = g[i] * (s - t[i]);
    }
})

VK_KERNEL(vk_categorical_nll,
          (const float *x, const int *labels, float *loss, float *residual, long rows, long classes),
          (x, labels, loss, residual, rows, classes), {
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * classes;
        float *out = residual ? residual + r * classes : 0;
        // Max and sum in 16 independent lanes, so that both loops vectorize.
        long body = classes - classes % 16;
        float lanes[16];
        for (int l = 0; l < 16; l++) lanes[l] = row[0];
        for (long k = 0; k < body; k += 16)
            for (int l = 0; l < 16; l++) lanes[l] = row[k + l] > lanes[l] ? row[k + l] : lanes[l];
        float peak = row[0];
        for (int l = 0; l < 16; l++) peak = lanes[l] > peak ? lanes[l] : peak;
        for (long k = body; k < classes; k++) peak = row[k] > peak ? row[k] : peak;
        for (int l = 0; l < 16; l++) lanes[l] = 0.0f;
        float total = 0.0f;
        if (!residual) {  // the loss only: nothing stored
            for (long k = 0; k < body; k += 16)
                for (int l = 0; l < 16; l++) lanes[l] += vk_expf(row[k + l] - peak);
            for (int l = 0; l < 16; l++) total += lanes[l];
            for (long k = body; k < classes; k++) total += vk_expf(row[k] - peak);
            loss[r] = vk_logf(total) + peak - row[labels[r]];
            continue;
        }
        for (long k = 0; k < classes; k++) out[k] = vk_expf(row[k] - peak);
        for (long k = 0; k < body; k += 16)
            for (int l = 0; l < 16; l++) lanes[l] += out[k + l];
        for (int l = 0; l < 16; l++) total += lanes[l];
        for (long k = body; k < classes; k++) total += out[k];
        float inverse = 1.0f / total;
        for (long k = 0; k < classes; k++) out[k] *= inverse;
        long label = labels[r];
        out[label] -= 1.0f;
        loss[r] = vk_logf(total) + peak - row[label];
    }
})

VK_KERNEL(vk_scale_rows, (const float *g, const float *residual, float *out, long rows, long classes),
          (g, residual, out, rows, classes), {
    for (long r = 0; r < rows; r++) {
        float scale = g[r];
        const float *in = residual + r * classes;
        float *o = out + r * classes;
        for (long k = 0; k < classes; k++) o[k] = scale * in[k];
    }
})

VK_KERNEL(vk_exp, (const float *x, float *out, long n), (x, out, n), {
    for (long i = 0; i < n; i++) out[i] = vk_expf(x[i]);
})

VK_KERNEL(vk_sigmoid, (const float *x, float *out, long n), (x, out, n), {
    for (long i = 0; i < n; i++) {
        float v = x[i];
        float e = vk_expf(v < 0 ? v : -v);
        out[i] = v >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
    }
})

VK_KERNEL(vk_softplus, (const float *x, float *out, long n), (x, out, n), {
    for (long i = 0; i < n; i++) {
        float v = x[i];
        float a = v < 0 ? -v : v;
        out[i] = (v > 0 ? v : 0.0f) + vk_log1p_exp_negative(a);
    }
})

VK_KERNEL(vk_adam, (float *p, const float *g, float *m, float *v, long n, float beta1, float beta2, float epsilon,
             float weight_decay, float step_size, float inverse_correction2), (p, g, m, v, n, beta1, beta2, epsilon, weight_decay, step_size, inverse_correction2), {
    for (long i = 0; i < n; i++) {
        float gradient = g[i] + weight_decay * p[i];
        float moment = beta1 * m[i] + (1.0f - beta1) * gradient;
        float square = beta2 * v[i] + (1.0f - beta2) * gradient * gradient;
        m[i] = moment;
        v[i] = square;
        p[i] -= step_size * moment / (__builtin_sqrtf(square) * inverse_correction2 + epsilon);
    }
})

VK_KERNEL(vk_add, (const float *a, const float *b, float *out, long n), (a, b, out, n), {
    for (long i = 0; i < n; i++) out[i] = a[i] + b[i];
})

VK_KERNEL(vk_add_into, (float *out, const float *a, long n), (out, a, n), {
    for (long i = 0; i < n; i++) out[i] += a[i];
})

// Sub-pixel transposed convolution: see ckernels.h. Copies and dots run as plain loops the
// compiler vectorizes (a window row is 32–512 floats: a memcpy call per row costs more).
static inline long vk_taps(long kernel, long stride, long residue) { return (kernel - residue + stride - 1) / stride; }

VK_KERNEL(vk_subpixel_gather, (const vk_subpixel_class *g, const float *x, float *windows, long start, long count),
          (g, x, windows, start, count), {
    const long J = vk_taps(g->kernel, g->stride, g->ry);
    const long L = vk_taps(g->kernel, g->stride, g->rx);
    const long cin = g->in_channels;
    // Input row of tap j for class row t: t0 + t − j (oy + padding − ky = stride·(t0 + t − j)).
    const long t0 = (g->first_row + g->padding - g->ry) / g->stride;
    const long u0 = (g->first_column + g->padding - g->rx) / g->stride;
    long b = start / (g->rows * g->columns);
    long t = start % (g->rows * g->columns) / g->columns;
    long u = start % g->columns;
    float *out = windows;
    for (long r = 0; r < count; r++) {
        for (long j = 0; j < J; j++) {
            const long iy = t0 + t - j;
            for (long l = 0; l < L; l++) {
                const long ix = u0 + u - l;
                if (iy >= 0 && iy < g->height && ix >= 0 && ix < g->width) {
                    const float *source = x + ((b * g->height + iy) * g->width + ix) * cin;
                    for (long c = 0; c < cin; c++) out[c] = source[c];
                } else {
                    for (long c = 0; c < cin; c++) out[c] = 0.0f;
                }
                out += cin;
            }
        }
        if (++u == g->columns) {
            u = 0;
            if (++t == g->rows) { t = 0; b++; }
        }
    }
})

// 16 floats as one vector (a zmm register under AVX-512, two ymm under AVX2), loadable unaligned.
typedef float vk_float16 __attribute__((vector_size(64), aligned(4)));
typedef float vk_float8 __attribute__((vector_size(32), aligned(4)));
typedef float vk_float4 __attribute__((vector_size(16), aligned(4)));

// Σ of 16 lanes as a tree of halvings.
static inline __attribute__((always_inline)) float vk_sum_lanes(const vk_float16 *vector) {
    const vk_float16 lanes = *vector;
    vk_float8 eight = __builtin_shufflevector(lanes, lanes, 0, 1, 2, 3, 4, 5, 6, 7) +
                      __builtin_shufflevector(lanes, lanes, 8, 9, 10, 11, 12, 13, 14, 15);
    vk_float4 four = __builtin_shufflevector(eight, eight, 0, 1, 2, 3) + __builtin_shufflevector(eight, eight, 4, 5, 6, 7);
    return four[0] + four[1] + four[2] + four[3];
}

// The work of vk_subpixel_direct: rows of sixteen output pixels. For one tap and one input
// channel, the inputs of sixteen consecutive output pixels of a class row are sixteen consecutive
// floats of the padded channels-first input: one vector FMA with the tap's weight broadcast, no
// horizontal sums; four accumulators (input channels mod 4) keep the FMAs independent.
static inline __attribute__((always_inline)) void vk_subpixel_direct_rows(const vk_subpixel_class *g, const float *padded,
                                                                         const float *taps, const float *bias, float *y) {
    const long J = vk_taps(g->kernel, g->stride, g->ry);
    const long L = vk_taps(g->kernel, g->stride, g->rx);
    const long cin = g->in_channels;
    const long cout = g->out_channels;
    const long border = g->kernel;
    const long pw = g->width + 2 * border;
    const long plane = (g->height + 2 * border) * pw;
    const long t0 = (g->first_row + g->padding - g->ry) / g->stride;
    const long u0 = (g->first_column + g->padding - g->rx) / g->stride;
    for (long t = 0; t < g->rows; t++) {
        const long oy = g->first_row + g->stride * t;
        for (long u = 0; u < g->columns; u += 16) {
            const long lanes = g->columns - u < 16 ? g->columns - u : 16;
            for (long co = 0; co < cout; co++) {
                vk_float16 a0 = {0};
                vk_float16 a1 = {0};
                vk_float16 a2 = {0};
                vk_float16 a3 = {0};
                for (long j = 0; j < J; j++) {
                    const long iy = t0 + t - j + border;
                    for (long l = 0; l < L; l++) {
                        const float *row = padded + iy * pw + (u0 + u - l + border);
                        const float *tap = taps + ((j * L + l) * cout + co) * cin;
                        long ci = 0;
                        for (; ci + 4 <= cin; ci += 4) {
                            a0 += tap[ci] * *(const vk_float16 *)(row + ci * plane);
                            a1 += tap[ci + 1] * *(const vk_float16 *)(row + (ci + 1) * plane);
                            a2 += tap[ci + 2] * *(const vk_float16 *)(row + (ci + 2) * plane);
                            a3 += tap[ci + 3] * *(const vk_float16 *)(row + (ci + 3) * plane);
                        }
                        for (; ci < cin; ci++) a0 += tap[ci] * *(const vk_float16 *)(row + ci * plane);
                    }
                }
                const vk_float16 sum = (a0 + a1) + (a2 + a3);
                const float b = bias ? bias[co] : 0.0f;
                for (long k = 0; k < lanes; k++) {
                    const long ox = g->first_column + g->stride * (u + k);
                    y[(oy * g->out_width + ox) * cout + co] = sum[k] + b;
                }
            }
        }
    }
}

VK_KERNEL(vk_subpixel_direct, (const vk_subpixel_class *g, const float *padded, const float *taps, const float *bias, float *y),
          (g, padded, taps, bias, y), { vk_subpixel_direct_rows(g, padded, taps, bias, y); })

VK_KERNEL(vk_channels_first_padded, (const float *x, float *padded, long height, long width, long channels, long border),
          (x, padded, height, width, channels, border), {
    const long pw = width + 2 * border;
    const long plane = (height + 2 * border) * pw;
    for (long iy = 0; iy < height; iy++)
        for (long ix = 0; ix < width; ix++) {
            const float *source = x + (iy * width + ix) * channels;
            float *target = padded + (iy + border) * pw + ix + border;
            for (long c = 0; c < channels; c++) target[c * plane] = source[c];
        }
})

// In-place radix-2 FFT of n (a power of two) complex values, each a vector of 16 independent
// Rows start ..< start + count of a class's GEMM product [count, Cout] (+ bias) into their
// output pixels of y [B, Hout, Wout, Cout]; rows in the gather's order.
VK_KERNEL(vk_subpixel_scatter, (const vk_subpixel_class *g, const float *product, const float *bias, float *y, long start, long count),
          (g, product, bias, y, start, count), {
    const long cout = g->out_channels;
    long b = start / (g->rows * g->columns);
    long t = start % (g->rows * g->columns) / g->columns;
    long u = start % g->columns;
    for (long r = 0; r < count; r++) {
        const long oy = g->first_row + g->stride * t;
        const long ox = g->first_column + g->stride * u;
        float *target = y + ((b * g->out_height + oy) * g->out_width + ox) * cout;
        const float *source = product + r * cout;
        if (bias) {
            for (long c = 0; c < cout; c++) target[c] = source[c] + bias[c];
        } else {
            for (long c = 0; c < cout; c++) target[c] = source[c];
        }
        if (++u == g->columns) {
            u = 0;
            if (++t == g->rows) { t = 0; b++; }
        }
    }
})

// lanes: X[k] = Σ_j x[j]·e^(∓2πi·jk/n), the minus sign forward. `cosines`, `sines`: n/2 values
// of cos and sin of 2πk/n.
static inline __attribute__((always_inline)) void vk_fft_lanes(vk_float16 *re, vk_float16 *im, long n,
                                                               const float *cosines, const float *sines, int inverse) {
    for (long i = 1, j = 0; i < n; i++) {
        long bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) {
            vk_float16 t = re[i];
            re[i] = re[j];
            re[j] = t;
            t = im[i];
            im[i] = im[j];
            im[j] = t;
        }
    }
    const float sign = inverse ? 1.0f : -1.0f;
    for (long length = 2; length <= n; length <<= 1) {
        const long half = length >> 1;
        const long step = n / length;
        for (long start = 0; start < n; start += length) {
            for (long k = 0; k < half; k++) {
                const float wr = cosines[k * step];
                const float wi = sign * sines[k * step];
                vk_float16 *ar = re + start + k;
                vk_float16 *ai = im + start + k;
                const vk_float16 br = ar[half] * wr - ai[half] * wi;
                const vk_float16 bi = ar[half] * wi + ai[half] * wr;
                ar[half] = *ar - br;
                ai[half] = *ai - bi;
                *ar += br;
                *ai += bi;
            }
        }
    }
}

static inline __attribute__((always_inline)) void vk_circular_convolution_body(
    const float *u, const float *v, float *out, long examples, long positions, long n, vk_float16 *re, vk_float16 *im,
    vk_float16 *sum_re, vk_float16 *sum_im, const float *cosines, const float *sines) {
    for (long first = 0; first < examples; first += 16) {
        const long lanes = examples - first < 16 ? examples - first : 16;
        for (long k = 0; k < n; k++) {
            sum_re[k] = (vk_float16){0};
            sum_im[k] = (vk_float16){0};
        }
        for (long p = 0; p < positions; p++) {
            // Lane e: u of example first + e at position p as the real part, v as the imaginary.
            for (long k = 0; k < n; k++) {
                re[k] = (vk_float16){0};
                im[k] = (vk_float16){0};
            }
            for (long e = 0; e < lanes; e++) {
                const float *ur = u + ((first + e) * positions + p) * n;
                const float *vr = v + ((first + e) * positions + p) * n;
                for (long k = 0; k < n; k++) {
                    re[k][e] = ur[k];
                    im[k][e] = vr[k];
                }
            }
            vk_fft_lanes(re, im, n, cosines, sines, 0);
            // Z = U + iV with U, V the spectra of the real u, v: U_k = (Z_k + conj Z_{n−k})/2,
            // V_k = (Z_k − conj Z_{n−k})/2i, so U_k·V_k = (Z_k² − (conj Z_{n−k})²)/4i.
            for (long k = 0; k < n; k++) {
                const long mirror = (n - k) & (n - 1);
                const vk_float16 ar = re[k], ai = im[k];
                const vk_float16 br = re[mirror], bi = -im[mirror];
                const vk_float16 xr = ar * ar - ai * ai - (br * br - bi * bi);
                const vk_float16 xi = 2 * ar * ai - 2 * br * bi;
                sum_re[k] += xi * 0.25f;
                sum_im[k] -= xr * 0.25f;
            }
        }
        vk_fft_lanes(sum_re, sum_im, n, cosines, sines, 1);
        const float scale = 1.0f / (float)n;
        for (long e = 0; e < lanes; e++) {
            float *target = out + (first + e) * n;
            for (long k = 0; k < n; k++) target[k] = sum_re[k][e] * scale;
        }
    }
}

VK_KERNEL(vk_circular_convolution_lanes,
          (const float *u, const float *v, float *out, long examples, long positions, long n, vk_float16 *buffers,
           const float *cosines, const float *sines),
          (u, v, out, examples, positions, n, buffers, cosines, sines),
          { vk_circular_convolution_body(u, v, out, examples, positions, n, buffers, buffers + n, buffers + 2 * n,
                                         buffers + 3 * n, cosines, sines); })

void vk_circular_convolution_sums(const float *u, const float *v, float *out, long examples, long positions,
                                  long size) {
    vk_float16 *buffers = aligned_alloc(64, (size_t)(4 * size) * sizeof(vk_float16));
    float *table = malloc((size_t)size * sizeof(float));
    if (!buffers || !table) {
        free(buffers);
        free(table);
        return;
    }
    for (long k = 0; k < size / 2; k++) {
        const double angle = 6.283185307179586 * (double)k / (double)size;
        table[k] = (float)cos(angle);
        table[size / 2 + k] = (float)sin(angle);
    }
    vk_circular_convolution_lanes(u, v, out, examples, positions, size, buffers, table, table + size / 2);
    free(buffers);
    free(table);
}

VK_KERNEL(vk_row_sums, (const float *x, float *out, long rows, long extent), (x, out, rows, extent), {
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * extent;
        vk_float16 lanes = {0};
        long j = 0;
        for (; j + 16 <= extent; j += 16) lanes += *(const vk_float16 *)(row + j);
        float tail = 0;
        for (; j < extent; j++) tail += row[j];
        out[r] = vk_sum_lanes(&lanes) + tail;
    }
})

// A value is not finite when its exponent bits are all ones; OR-ing the masked exponents of a
// block and testing once keeps the loop branch-free (and vectorized).
static inline __attribute__((always_inline)) int vk_all_finite_body(const float *x, long n) {
    const int32_t exponent = 0x7f800000;
    for (long start = 0; start < n; start += 4096) {
        const long end = start + 4096 < n ? start + 4096 : n;
        int32_t saturated = 0;
        for (long i = start; i < end; i++) {
            int32_t bits;
            memcpy(&bits, x + i, sizeof bits);
            saturated |= ((bits & exponent) == exponent);
        }
        if (saturated) return 0;
    }
    return 1;
}

VK_KERNEL(vk_all_finite_into, (const float *x, long n, int *result), (x, n, result), { *result = vk_all_finite_body(x, n); })

int vk_all_finite(const float *x, long n) {
    int result = 1;
    vk_all_finite_into(x, n, &result);
    return result;
}

void vk_flush_denormals(void) {
    // Bit 15: flush to zero; bit 6: denormals are zero.
    _mm_setcsr(_mm_getcsr() | 0x8040);
}
