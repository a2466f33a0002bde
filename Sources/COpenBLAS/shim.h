// OpenBLAS's CBLAS interface (Debian: libopenblas-dev installs it as <cblas.h>, with openblas_set_num_threads).
#include <cblas.h>
