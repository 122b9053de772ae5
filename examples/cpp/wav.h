// A tiny WAV reader for the example: RIFF/WAVE with 16-bit PCM, 32-bit PCM or 32-bit float samples
// (also in WAVE_FORMAT_EXTENSIBLE), any number of channels. Returns (channels, samples) float32 in
// [-1, 1), as soundfile.read(path, dtype="float32") gives it transposed.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace wav {

struct Audio {
  int sample_rate = 0;
  int channels = 0;
  std::vector<float> samples;  // channel-major: channel c's samples are [c * frames, (c + 1) * frames)
  int64_t frames() const { return channels ? static_cast<int64_t>(samples.size()) / channels : 0; }
};

namespace detail {

inline uint32_t u32(const unsigned char* p) { return p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24; }
inline uint16_t u16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

[[noreturn]] inline void fail(const std::string& path, const std::string& why) {
  throw std::runtime_error(path + ": " + why);
}

}  // namespace detail

inline Audio read(const std::string& path) {
  using namespace detail;
  std::ifstream file(path, std::ios::binary);
  if (!file) fail(path, "cannot open the file");
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0 || std::memcmp(bytes.data() + 8, "WAVE", 4) != 0)
    fail(path, "not a RIFF/WAVE file");
  int format = 0, channels = 0, rate = 0, bits = 0;
  const unsigned char* data = nullptr;
  size_t data_size = 0;
  for (size_t at = 12; at + 8 <= bytes.size();) {
    const unsigned char* chunk = bytes.data() + at;
    size_t size = u32(chunk + 4);
    size_t available = bytes.size() - at - 8;
    if (size > available) size = available;  // a truncated last chunk: read what is there
    if (std::memcmp(chunk, "fmt ", 4) == 0) {
      if (size < 16) fail(path, "fmt chunk shorter than 16 bytes");
      format = u16(chunk + 8);
      channels = u16(chunk + 10);
      rate = static_cast<int>(u32(chunk + 12));
      bits = u16(chunk + 22);
      if (format == 0xFFFE && size >= 40) format = u16(chunk + 8 + 24);  // the extensible sub-format
    } else if (std::memcmp(chunk, "data", 4) == 0) {
      data = chunk + 8;
      data_size = size;
    }
    at += 8 + size + (size & 1);  // chunks are padded to an even size
  }
  if (!format) fail(path, "no fmt chunk");
  if (!data) fail(path, "no data chunk");
  if (channels < 1) fail(path, "channels must be at least 1, got " + std::to_string(channels));
  const bool pcm16 = format == 1 && bits == 16, pcm32 = format == 1 && bits == 32, float32 = format == 3 && bits == 32;
  if (!pcm16 && !pcm32 && !float32)
    fail(path, "sample format " + std::to_string(format) + " with " + std::to_string(bits) +
                   " bits is not supported (16/32-bit PCM or 32-bit float)");
  const size_t width = bits / 8, frames = data_size / (width * channels);
  Audio audio;
  audio.sample_rate = rate;
  audio.channels = channels;
  audio.samples.resize(frames * channels);
  for (size_t i = 0; i < frames; ++i) {
    for (int c = 0; c < channels; ++c) {
      const unsigned char* p = data + (i * channels + c) * width;
      float value;
      if (pcm16) {
        value = static_cast<int16_t>(u16(p)) / 32768.0f;
      } else if (pcm32) {
        value = static_cast<float>(static_cast<int32_t>(u32(p)) / 2147483648.0);
      } else {
        uint32_t raw = u32(p);
        std::memcpy(&value, &raw, sizeof value);
      }
      audio.samples[c * frames + i] = value;
    }
  }
  return audio;
}

}  // namespace wav
