import BulwarkCrypto
import Crypto
import Foundation

/// The cryptographic steps both sides of the protocol share: what is signed, how pairwise keys
/// are derived, how masks are expanded and how shares and vectors are laid out in bytes.
enum SecureAggregationPrimitives {
    static let secretByteCount = 32
    /// Bytes of one encoded 32-byte-secret share: the point and five 7-byte chunks, 8 bytes each.
    static let shareByteCount = 8 * 6

    static func littleEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    /// What a client signs when it advertises its keys.
    static func advertisedKeysMessage(roundID: UInt64, client: Int, encryptionKey: Data, maskingKey: Data) -> Data {
        var message = Data("bulwark secagg advertise-keys v1".utf8)
        message.append(contentsOf: littleEndian(roundID))
        message.append(contentsOf: littleEndian(UInt64(client)))
        message.append(encryptionKey)
        message.append(maskingKey)
        return message
    }

    /// HKDF-SHA256 of an X25519 agreement, salted with the round and labelled by purpose.
    static func derive(_ secret: SharedSecret, roundID: UInt64, label: String) -> SymmetricKey {
        secret.hkdfDerivedSymmetricKey(using: SHA256.self, salt: littleEndian(roundID), sharedInfo: Data(label.utf8), outputByteCount: 32)
    }

    static func shareEncryptionKey(_ secret: SharedSecret, roundID: UInt64) -> SymmetricKey {
        derive(secret, roundID: roundID, label: "bulwark secagg share-encryption v1")
    }

    static func pairwiseMaskSeed(_ secret: SharedSecret, roundID: UInt64) -> [UInt8] {
        derive(secret, roundID: roundID, label: "bulwark secagg pairwise-mask v1").withUnsafeBytes { Array($0) }
    }

    static func shareAssociatedData(roundID: UInt64, sender: Int, recipient: Int) -> Data {
        var data = Data("bulwark secagg shares v1".utf8)
        data.append(contentsOf: littleEndian(roundID))
        data.append(contentsOf: littleEndian(UInt64(sender)))
        data.append(contentsOf: littleEndian(UInt64(recipient)))
        return data
    }

    /// Adds (or subtracts) the ChaCha20 stream of `seed` to `vector` modulo 2ᵏ: one word per
    /// coordinate, 4 bytes of keystream when k ≤ 32 and 8 bytes otherwise, reduced by `mask`.
    static func applyMask(seed: [UInt8], to vector: inout [UInt64], subtract: Bool, bitWidth: Int, mask: UInt64) throws(FederatedError) {
        guard seed.count == 32 else { throw FederatedError(.malformed, "mask seed of \(seed.count) bytes") }
        let wordBytes = bitWidth <= 32 ? 4 : 8
        // Long vectors are split in two at a block boundary and expanded on two threads: the
        // second half's stream starts at its own block counter, so the mask is the same.
        let coordinatesPerBlock = 64 / wordBytes
        let halves = vector.count >= 1 << 16 ? 2 : 1
        let split = (vector.count / halves + coordinatesPerBlock - 1) / coordinatesPerBlock * coordinatesPerBlock
        var ciphers: [ChaCha20] = []
        for part in 0..<halves {
            do { ciphers.append(try ChaCha20(key: seed, counter: UInt32(clamping: part * split / coordinatesPerBlock))) } catch {
                throw FederatedError(.malformed, "mask seed", underlying: error)
            }
        }
        let streams = ciphers, count = vector.count
        vector.withUnsafeMutableBufferPointer { whole in
            // The two parts write disjoint ranges.
            nonisolated(unsafe) let out = whole
            DispatchQueue.concurrentPerform(iterations: halves) { part in
                let lower = part == 0 ? 0 : split, upper = part == 0 ? min(split, count) : count
                guard lower < upper else { return }
                var cipher = streams[part]
                expand(&cipher, into: UnsafeMutableBufferPointer(rebasing: out[lower..<upper]), subtract: subtract, wordBytes: wordBytes, mask: mask)
            }
        }
    }

    /// Adds (or subtracts) `cipher`'s next words to every coordinate of `out`, modulo `mask + 1`.
    private static func expand(_ cipher: inout ChaCha20, into out: UnsafeMutableBufferPointer<UInt64>, subtract: Bool, wordBytes: Int, mask: UInt64) {
        let chunk = 2048
        var scratch = [UInt64](repeating: 0, count: chunk)
        var start = 0
        while start < out.count {
            let length = min(chunk, out.count - start)
            scratch.withUnsafeMutableBytes { bytes in
                cipher.fill(UnsafeMutableRawBufferPointer(rebasing: bytes[0..<(wordBytes * length)]))
                for i in 0..<length {
                    let word = wordBytes == 4 ? UInt64(UInt32(littleEndian: bytes.load(fromByteOffset: 4 * i, as: UInt32.self)))
                                              : UInt64(littleEndian: bytes.load(fromByteOffset: 8 * i, as: UInt64.self))
                    out[start + i] = (subtract ? out[start + i] &- word : out[start + i] &+ word) & mask
                }
            }
            start += length
        }
    }

    static func bytesPerCoordinate(bitWidth: Int) -> Int { (bitWidth + 7) / 8 }

    static func pack(_ vector: [UInt64], bitWidth: Int) -> Data {
        let width = bytesPerCoordinate(bitWidth: bitWidth)
        var data = Data(count: vector.count * width)
        data.withUnsafeMutableBytes { raw in
            vector.withUnsafeBufferPointer { values in
                switch width {
                case 4:
                    for index in values.indices { raw.storeBytes(of: UInt32(truncatingIfNeeded: values[index]).littleEndian, toByteOffset: 4 * index, as: UInt32.self) }
                case 8:
                    for index in values.indices { raw.storeBytes(of: values[index].littleEndian, toByteOffset: 8 * index, as: UInt64.self) }
                default:
                    for index in values.indices {
                        for byte in 0..<width { raw[index * width + byte] = UInt8(truncatingIfNeeded: values[index] >> (8 * UInt64(byte))) }
                    }
                }
            }
        }
        return data
    }

    static func unpack(_ data: Data, count: Int, bitWidth: Int, mask: UInt64, client: Int) throws(FederatedError) -> [UInt64] {
        let width = bytesPerCoordinate(bitWidth: bitWidth)
        guard data.count == count * width else {
            throw FederatedError(.shapeMismatch, "masked input of client \(client): \(data.count) bytes, expected \(count) coordinates of \(width) bytes")
        }
        var out = [UInt64](repeating: 0, count: count)
        let fits = data.withUnsafeBytes { raw -> Bool in
            var spill: UInt64 = 0
            out.withUnsafeMutableBufferPointer { out in
                switch width {
                case 4:
                    for index in 0..<count {
                        let value = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)))
                        spill |= value & ~mask
                        out[index] = value
                    }
                case 8:
                    for index in 0..<count {
                        let value = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self))
                        spill |= value & ~mask
                        out[index] = value
                    }
                default:
                    for index in 0..<count {
                        var value: UInt64 = 0
                        for byte in 0..<width { value |= UInt64(raw[index * width + byte]) << (8 * UInt64(byte)) }
                        spill |= value & ~mask
                        out[index] = value
                    }
                }
            }
            return spill == 0
        }
        guard fits else { throw FederatedError(.malformed, "masked input of client \(client) has a coordinate of more than \(bitWidth) bits") }
        return out
    }

    static func encodeShare(_ share: ShamirShare) -> [UInt8] {
        littleEndian(share.x.value) + share.values.flatMap { littleEndian($0.value) }
    }

    static func decodeShare(_ bytes: ArraySlice<UInt8>) throws(FederatedError) -> ShamirShare {
        guard bytes.count == shareByteCount else { throw FederatedError(.malformed, "share of \(bytes.count) bytes, expected \(shareByteCount)") }
        var words: [MersenneField] = []
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            var value: UInt64 = 0
            for byte in 0..<8 { value |= UInt64(bytes[offset + byte]) << (8 * UInt64(byte)) }
            do { words.append(try MersenneField(exactly: value)) } catch { throw FederatedError(.malformed, "share element out of the field", underlying: error) }
            offset += 8
        }
        return ShamirShare(x: words[0], values: Array(words.dropFirst()))
    }

    /// `sender ‖ recipient ‖ self-mask share ‖ masking-key share`, fixed length.
    static func sharePlaintext(sender: Int, recipient: Int, selfMaskShare: ShamirShare, maskingKeyShare: ShamirShare) -> [UInt8] {
        littleEndian(UInt64(sender)) + littleEndian(UInt64(recipient)) + encodeShare(selfMaskShare) + encodeShare(maskingKeyShare)
    }
}
