// OpenSSL's libcrypto (Debian libssl-dev): its big-number Montgomery exponentiation, used by
// BulwarkCrypto's MontgomeryModulus, and its private DRBG (RAND_priv_bytes), BulwarkDP's source
// of secure noise.
#include <openssl/bn.h>
#include <openssl/rand.h>
