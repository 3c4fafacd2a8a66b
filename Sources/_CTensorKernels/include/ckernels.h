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
// 2 (AVX-512), 1 (AVX2+FMA) or 0 (baseline): the code path the kernels take on this CPU.
int vk_instruction_level(void);

#endif
