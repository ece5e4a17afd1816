#include <cblas.h>
/* OpenBLAS extensions (declared in openblas's cblas.h on Debian; repeated here for other layouts). */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
/* glibc allocator tuning used by BulwarkTensor's one-time numeric set-up (mallopt). */
#include <malloc.h>
