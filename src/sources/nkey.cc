#include "poolscaler/sources/nkey.h"

#include <openssl/evp.h>

#include <memory>
#include <vector>

#include "absl/status/status.h"

namespace poolscaler::sources {
namespace {

constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr uint8_t kPrefixSeed = 18 << 3;  // 'S'
constexpr uint8_t kPrefixUser = 20 << 3;  // 'U'

// CRC-16/XMODEM, as NATS uses for NKeys.
uint16_t Crc16(const std::vector<uint8_t>& data) {
  uint16_t crc = 0;
  for (uint8_t byte : data) {
    crc = static_cast<uint16_t>(crc ^ (byte << 8));
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 0x8000) != 0 ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                                : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

std::string Base32Encode(const std::vector<uint8_t>& data) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t byte : data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32[(buffer << (5 - bits)) & 31]);
  return out;
}

bool Base32Decode(const std::string& text, std::vector<uint8_t>* out) {
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= '2' && c <= '7') v = c - '2' + 26;
    else return false;
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out->push_back(static_cast<uint8_t>(buffer >> (bits - 8)));
      bits -= 8;
    }
  }
  return true;
}

// Appends the CRC (little-endian) and encodes.
std::string Encode(std::vector<uint8_t> raw) {
  uint16_t crc = Crc16(raw);
  raw.push_back(static_cast<uint8_t>(crc & 0xff));
  raw.push_back(static_cast<uint8_t>(crc >> 8));
  return Base32Encode(raw);
}

// The ed25519 public key of a raw seed.
absl::StatusOr<std::vector<uint8_t>> Ed25519Public(const uint8_t* seed32) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed32, 32), EVP_PKEY_free);
  if (!key) return absl::InternalError("OpenSSL cannot load an ed25519 key");
  std::vector<uint8_t> pub(32);
  size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) != 1 || len != 32) {
    return absl::InternalError("OpenSSL cannot derive the ed25519 public key");
  }
  return pub;
}

absl::StatusOr<std::string> PublicKey(uint8_t prefix, const uint8_t* seed32) {
  auto pub = Ed25519Public(seed32);
  if (!pub.ok()) return pub.status();
  std::vector<uint8_t> raw = {prefix};
  raw.insert(raw.end(), pub->begin(), pub->end());
  return Encode(raw);
}

}  // namespace

absl::StatusOr<std::string> NkeyPublicKeyFromRaw(NkeyType type,
                                                 const std::array<uint8_t, 32>& raw_seed) {
  return PublicKey(static_cast<uint8_t>(type), raw_seed.data());
}

absl::StatusOr<std::string> NkeyUserPublicKey(const Secret& seed) {
  std::string text = seed.Reveal();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  text = text.substr(start);
  std::vector<uint8_t> raw;
  if (!text.starts_with("SU")) {
    return absl::InvalidArgumentError("not an NKey user seed (it must start with \"SU\")");
  }
  if (!Base32Decode(text, &raw) || raw.size() != 36) {
    return absl::InvalidArgumentError(
        "not an NKey user seed (expected 58 base32 characters A-Z, 2-7)");
  }
  std::vector<uint8_t> body(raw.begin(), raw.end() - 2);
  uint16_t crc = static_cast<uint16_t>(raw[34] | (raw[35] << 8));
  if (Crc16(body) != crc) return absl::InvalidArgumentError("NKey seed checksum mismatch");
  if ((raw[0] & 0xf8) != kPrefixSeed ||
      static_cast<uint8_t>(((raw[0] & 7) << 5) | ((raw[1] & 0xf8) >> 3)) != kPrefixUser) {
    return absl::InvalidArgumentError("not an NKey user seed (wrong prefix)");
  }
  return PublicKey(kPrefixUser, raw.data() + 2);
}

Secret NkeyEncodeUserSeed(const std::array<uint8_t, 32>& raw_seed) {
  std::vector<uint8_t> raw = {
      static_cast<uint8_t>(kPrefixSeed | (kPrefixUser >> 5)),
      static_cast<uint8_t>((kPrefixUser & 31) << 3)};
  raw.insert(raw.end(), raw_seed.begin(), raw_seed.end());
  return Secret(Encode(raw));
}

}  // namespace poolscaler::sources
