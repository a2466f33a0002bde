"""The C-side finiteness scan (mn_common.c: SSE2 blocks of 64, then one by one) finds the first NaN/inf anywhere:
block boundaries, tails, float32 and float64, and reports its index."""
import re

import numpy as np
import pytest

import mnemonet as mn


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_first_non_finite_is_found_at_every_position(dtype):
    for n in (1, 3, 63, 64, 65, 130, 257):
        rb = mn.PrioritizedReplay(4, {"x": ((n,), dtype)})
        rb.add(x=np.zeros(n, dtype))  # finite: accepted
        for k in sorted({0, n // 2, n - 1, min(n - 1, 64), min(n - 1, 127)}):
            for bad in (np.nan, np.inf, -np.inf):
                x = np.arange(n, dtype=dtype)
                x[k] = bad
                if k + 1 < n:
                    x[n - 1] = np.nan  # a later one must not be reported instead
                    x[k] = bad
                with pytest.raises(mn.InvalidArgumentError) as e:
                    rb.add(x=x)
                assert re.search(rf"at (x|field 0)\[(0, )?{k}\]", str(e.value)), (n, k, str(e.value))
        assert len(rb) == 1
