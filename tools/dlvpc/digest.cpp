#include "tools/dlvpc/digest.h"

#include "tools/dlvpc/input_file.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>
#include <vector>

namespace dlvp::dlvpc {

std::string hex(const Digest& digest) {
  static const char* const kDigits = "0123456789abcdef";
  std::string text;
  for (const uint8_t b : digest) text += {kDigits[b >> 4], kDigits[b & 15]};
  return text;
}

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  if (!context_) throw std::bad_alloc();
  if (EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(context_), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 is not available from libcrypto");
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context_)); }

Sha256& Sha256::add(const void* data, size_t bytes) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(context_), data, bytes);
  return *this;
}

Sha256& Sha256::add(std::string_view text) {
  add(uint64_t{text.size()});
  return add(text.data(), text.size());
}

Sha256& Sha256::add(uint64_t value) {
  uint8_t bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * i));
  return add(bytes, sizeof bytes);
}

Sha256& Sha256::add(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return add(bits);
}

Digest Sha256::finish() {
  Digest digest{};
  unsigned int size = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(context_), digest.data(), &size);
  return digest;
}

Digest file_digest(const std::string& path, const std::string& what) {
  const InputFile file(path, what);
  constexpr uint64_t kChunk = uint64_t{8} << 20;
  Sha256 sha;
  sha.add(file.size());
  for (uint64_t at = 0; at < file.size(); at += kChunk) {
    const std::vector<uint8_t> chunk = file.read(at, std::min(kChunk, file.size() - at));
    sha.add(chunk.data(), chunk.size());
  }
  return sha.finish();
}

}  // namespace dlvp::dlvpc
