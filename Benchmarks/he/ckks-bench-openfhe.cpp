// OpenFHE's CKKS (C++ library) timed on the operations of Benchmarks/he/ckks-bench.sh, for
// machines where the PyPI wheel cannot be imported (see ckks-bench.sh). Same settings as
// ckks-bench-openfhe.py: ring dimension 8192, first modulus 60 bits, scaling moduli 40 bits
// (depth 2), FIXEDMANUAL rescaling, HYBRID key switching with one digit per prime, 128-bit
// classical security, one thread. Prints one JSON object: median wall and CPU seconds.
#include "openfhe.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <vector>

using namespace lbcrypto;

static int repeats = 25;

static double cpu_now() {
    timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double wall_now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

static double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

template <typename F>
static std::string measure(F body) {
    body();  // warm-up
    std::vector<double> wall, cpu;
    for (int i = 0; i < repeats; i++) {
        double w0 = wall_now(), c0 = cpu_now();
        body();
        double c1 = cpu_now(), w1 = wall_now();
        wall.push_back(w1 - w0);
        cpu.push_back(c1 - c0);
    }
    char buffer[128];
    snprintf(buffer, sizeof buffer, "{\"wall\": %.9g, \"cpu\": %.9g}", median(wall), median(cpu));
    return buffer;
}

int main(int argc, char** argv) {
    if (argc > 1) repeats = std::max(1, atoi(argv[1]));
    CCParams<CryptoContextCKKSRNS> parameters;
    parameters.SetMultiplicativeDepth(2);
    parameters.SetFirstModSize(60);
    parameters.SetScalingModSize(40);
    parameters.SetRingDim(8192);
    parameters.SetBatchSize(4096);
    parameters.SetScalingTechnique(FIXEDMANUAL);
    parameters.SetKeySwitchTechnique(HYBRID);
    parameters.SetNumLargeDigits(3);
    parameters.SetSecurityLevel(HEStd_128_classic);
    CryptoContext<DCRTPoly> cc = GenCryptoContext(parameters);
    cc->Enable(PKE);
    cc->Enable(KEYSWITCH);
    cc->Enable(LEVELEDSHE);
    auto keys = cc->KeyGen();
    cc->EvalMultKeyGen(keys.secretKey);
    cc->EvalRotateKeyGen(keys.secretKey, {1});

    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> uniform(-1, 1);
    std::vector<double> x(4096), y(4096);
    for (auto& v : x) v = uniform(rng);
    for (auto& v : y) v = uniform(rng);
    auto cx = cc->Encrypt(keys.publicKey, cc->MakeCKKSPackedPlaintext(x));
    auto cy = cc->Encrypt(keys.publicKey, cc->MakeCKKSPackedPlaintext(y));

    auto decrypt = [&](const Ciphertext<DCRTPoly>& c) {
        Plaintext p;
        cc->Decrypt(keys.secretKey, c, &p);
        p->SetLength(4096);
        return p->GetRealPackedValue();
    };
    auto product = decrypt(cc->Rescale(cc->EvalMult(cx, cy)));
    auto rotated = decrypt(cc->EvalRotate(cx, 1));
    double error_xy = 0, error_rotate = 0;
    for (int i = 0; i < 4096; i++) {
        error_xy = std::max(error_xy, std::fabs(product[i] - x[i] * y[i]));
        error_rotate = std::max(error_rotate, std::fabs(rotated[i] - x[(i + 1) % 4096]));
    }
    auto tensor = cc->EvalMultNoRelin(cx, cy);
    auto relinearized = cc->Relinearize(tensor);

    std::string encode_encrypt = measure([&] { return cc->Encrypt(keys.publicKey, cc->MakeCKKSPackedPlaintext(x)); });
    std::string add = measure([&] { return cc->EvalAdd(cx, cy); });
    std::string mrr = measure([&] { return cc->Rescale(cc->EvalMult(cx, cy)); });
    std::string mul = measure([&] { return cc->EvalMultNoRelin(cx, cy); });
    std::string relin = measure([&] { return cc->Relinearize(tensor); });
    std::string rescale = measure([&] { return cc->Rescale(relinearized); });
    std::string rotate = measure([&] { return cc->EvalRotate(cx, 1); });
    std::string decode = measure([&] { return decrypt(cx); });

    auto rns = std::dynamic_pointer_cast<CryptoParametersRNS>(cc->GetCryptoParameters());
    double log_q = 0, log_p = 0;
    for (auto& t : cc->GetElementParams()->GetParams()) log_q += std::log2(t->GetModulus().ConvertToDouble());
    for (auto& t : rns->GetParamsP()->GetParams()) log_p += std::log2(t->GetModulus().ConvertToDouble());

    printf("{\"peer\": \"OpenFHE %s (C++, built from source)\", \"ring_dimension\": %u, \"log2_qp\": \"%.1f (Q %.1f + P %.1f)\", "
           "\"security\": \"HEStd_128_classic\", \"max_error_xy\": %.3g, \"max_error_rotate\": %.3g, \"repeats\": %d, "
           "\"seconds\": {\"encode_encrypt\": %s, \"add\": %s, \"multiply_relinearize_rescale\": %s, \"multiply\": %s, "
           "\"relinearize\": %s, \"rescale\": %s, \"rotate_1\": %s, \"decrypt_decode\": %s}}\n",
           GetOPENFHEVersion().c_str(), cc->GetRingDimension(), log_q + log_p, log_q, log_p, error_xy, error_rotate, repeats,
           encode_encrypt.c_str(), add.c_str(), mrr.c_str(), mul.c_str(), relin.c_str(), rescale.c_str(), rotate.c_str(),
           decode.c_str());
    return 0;
}
