// OpenSSL's libcrypto (Debian libssl-dev): only its big-number Montgomery exponentiation is used,
// by BulwarkCrypto's MontgomeryModulus.
#include <openssl/bn.h>
