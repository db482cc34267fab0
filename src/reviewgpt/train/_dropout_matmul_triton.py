"""Triton kernels of :mod:`reviewgpt.train._dropout_matmul` (imported only where Triton is installed)."""

import triton
import triton.language as tl


@triton.jit
def keep_mask(seed, rows, k0, k8, threshold, BM: tl.constexpr, BK: tl.constexpr):
    # one Philox counter per eight elements of a row, as masked_scale draws them
    counters = rows[:, None] * k8 + (k0 // 8 + tl.arange(0, BK // 8))[None, :]
    r0, r1, r2, r3 = tl.randint4x(seed, counters)
    lane = tl.arange(0, 8)[None, None, :]
    word = tl.where(lane < 2, r0[:, :, None], tl.where(lane < 4, r1[:, :, None],
                                                       tl.where(lane < 6, r2[:, :, None], r3[:, :, None])))
    draw = ((word >> ((lane % 2) * 16).to(tl.uint32)) & 0xFFFF).to(tl.int32)
    return tl.reshape(draw >= threshold, (BM, BK))

@triton.jit
def dropped_mm_kernel(x_ptr, a_ptr, out_ptr, T, K, seed, threshold, keep_scale, out_scale,
                      R: tl.constexpr, BM: tl.constexpr, BK: tl.constexpr):
    # out[rows] = out_scale * drop(x[rows]) @ A^T
    rows = tl.program_id(0) * BM + tl.arange(0, BM)
    in_rows = rows < T
    ranks = tl.arange(0, R)
    acc = tl.zeros((BM, R), dtype=tl.float32)
    for k0 in range(0, K, BK):
        cols = k0 + tl.arange(0, BK)
        inside = in_rows[:, None] & (cols < K)[None, :]
        x = tl.load(x_ptr + rows.to(tl.int64)[:, None] * K + cols[None, :], mask=inside, other=0.0)
        keep = keep_mask(seed, rows, k0, K // 8, threshold, BM, BK)
        dropped = tl.where(keep, x.to(tl.float32) * keep_scale, 0.0).to(x.dtype)  # as masked_scale rounds it
        a = tl.load(a_ptr + ranks[None, :] * K + cols[:, None], mask=(cols < K)[:, None], other=0.0)
        acc = tl.dot(dropped, a, acc)
    out = (acc * out_scale).to(out_ptr.dtype.element_ty)
    tl.store(out_ptr + rows.to(tl.int64)[:, None] * R + ranks[None, :], out, mask=in_rows[:, None])

@triton.jit
def grad_a_kernel(g_ptr, x_ptr, partial_ptr, T, K, seed, threshold, keep_scale, rows_per_split,
                  R: tl.constexpr, BT: tl.constexpr, BN: tl.constexpr):
    # partial[split, :, cols] = g[rows of split]^T @ drop(x[rows of split, cols])
    cols = tl.program_id(0) * BN + tl.arange(0, BN)
    split = tl.program_id(1)
    ranks = tl.arange(0, R)
    acc = tl.zeros((R, BN), dtype=tl.float32)
    for t0 in range(0, rows_per_split, BT):
        rows = split * rows_per_split + t0 + tl.arange(0, BT)
        in_rows = rows < T
        x = tl.load(x_ptr + rows.to(tl.int64)[:, None] * K + cols[None, :],
                    mask=in_rows[:, None] & (cols < K)[None, :], other=0.0)
        keep = keep_mask(seed, rows, tl.program_id(0) * BN, K // 8, threshold, BT, BN)
        dropped = tl.where(keep, x.to(tl.float32) * keep_scale, 0.0).to(x.dtype)
        g = tl.load(g_ptr + rows.to(tl.int64)[:, None] * R + ranks[None, :], mask=in_rows[:, None], other=0.0)
        acc = tl.dot(tl.trans(g), dropped, acc)
    tl.store(partial_ptr + split * R * K + ranks[:, None] * K + cols[None, :], acc, mask=(cols < K)[None, :])
