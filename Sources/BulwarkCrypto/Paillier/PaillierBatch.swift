import Dispatch
import Foundation

/// Runs `body` for every index of `0..<count` over all cores (`DispatchQueue.concurrentPerform`,
/// contiguous chunks), collecting results in order; the first error by index is thrown.
func parallelMap<T: Sendable>(_ count: Int, _ body: @Sendable (Int) throws(CryptoError) -> T) throws(CryptoError) -> [T] {
    if count == 0 { return [] }
    let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
    results.initialize(repeating: nil)
    let errors = UnsafeMutableBufferPointer<CryptoError?>.allocate(capacity: count)
    errors.initialize(repeating: nil)
    defer {
        results.deinitialize()
        results.deallocate()
        errors.deinitialize()
        errors.deallocate()
    }
    let chunks = min(count, max(1, ProcessInfo.processInfo.activeProcessorCount))
    // Each chunk writes only its own indices of the two buffers.
    let out = UncheckedBuffers(results: results, errors: errors)
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        let start = count * chunk / chunks, end = count * (chunk + 1) / chunks
        for i in start..<end {
            do throws(CryptoError) { out.results[i] = try body(i) } catch { out.errors[i] = error }
        }
    }
    if let error = errors.first(where: { $0 != nil }) ?? nil { throw error }
    return results.map { $0! }
}

/// The result buffers of ``parallelMap(_:_:)``.
// @unchecked Sendable: the chunks write disjoint index ranges, and the buffers are read only after
// concurrentPerform returns.
struct UncheckedBuffers<T>: @unchecked Sendable {
    let results: UnsafeMutableBufferPointer<T?>
    let errors: UnsafeMutableBufferPointer<CryptoError?>
}

extension PaillierPublicKey {
    /// Encrypts many values (each encoded as ``encrypt(_:precision:)`` does), using all cores.
    /// - Throws: the first value's ``CryptoError`` that cannot be encoded.
    public func encrypt(_ values: [Double], precision: Double? = nil) throws(CryptoError) -> [PaillierCiphertext] {
        var encoded: [PaillierEncodedNumber] = []
        encoded.reserveCapacity(values.count)
        for v in values { encoded.append(try PaillierEncodedNumber.encode(v, publicKey: self, precision: precision)) }
        return try encrypt(encoded)
    }

    /// Encrypts many encoded plaintexts, using all cores.
    public func encrypt(_ encoded: [PaillierEncodedNumber]) throws(CryptoError) -> [PaillierCiphertext] {
        try parallelMap(encoded.count) { i throws(CryptoError) in try self.encrypt(encoded[i]) }
    }

    /// Element-wise E(aᵢ + bᵢ), using all cores.
    /// - Throws: ``CryptoError`` `.invalidParameter` when the arrays differ in length.
    public func add(_ a: [PaillierCiphertext], _ b: [PaillierCiphertext]) throws(CryptoError) -> [PaillierCiphertext] {
        guard a.count == b.count else { throw CryptoError(.invalidParameter, "adding \(a.count) ciphertexts to \(b.count): expected equal lengths") }
        return try parallelMap(a.count) { i throws(CryptoError) in try self.add(a[i], b[i]) }
    }

    /// Element-wise E(aᵢ · kᵢ), using all cores.
    /// - Throws: ``CryptoError`` `.invalidParameter` when the arrays differ in length or a scalar
    ///   cannot be encoded.
    public func multiply(_ a: [PaillierCiphertext], by k: [Double]) throws(CryptoError) -> [PaillierCiphertext] {
        guard a.count == k.count else { throw CryptoError(.invalidParameter, "multiplying \(a.count) ciphertexts by \(k.count) scalars: expected equal lengths") }
        return try parallelMap(a.count) { i throws(CryptoError) in try self.multiply(a[i], by: k[i]) }
    }

    /// Element-wise E(aᵢ · kᵢ) for encoded scalars, using all cores.
    /// - Throws: ``CryptoError`` `.invalidParameter` when the arrays differ in length.
    public func multiply(_ a: [PaillierCiphertext], by k: [PaillierEncodedNumber]) throws(CryptoError) -> [PaillierCiphertext] {
        guard a.count == k.count else { throw CryptoError(.invalidParameter, "multiplying \(a.count) ciphertexts by \(k.count) scalars: expected equal lengths") }
        return try parallelMap(a.count) { i throws(CryptoError) in try self.multiply(a[i], by: k[i]) }
    }

    /// E(Σ aᵢ), re-randomised.
    /// - Throws: ``CryptoError`` `.invalidParameter` for an empty array.
    public func sum(_ a: [PaillierCiphertext]) throws(CryptoError) -> PaillierCiphertext {
        guard var total = a.first else { throw CryptoError(.invalidParameter, "sum of no ciphertexts") }
        for c in a.dropFirst() { total = try add(total, c) }
        return try rerandomized(total)
    }

    /// The encrypted dot product E(Σ aᵢ · wᵢ) with plaintext weights (private scoring: the
    /// scorer never sees the features, the owner of the key never sees the weights). Products
    /// run on all cores; the result is re-randomised so it reveals nothing about the weights.
    /// - Throws: ``CryptoError`` `.invalidParameter` when the lengths differ or are zero, or a
    ///   weight cannot be encoded.
    public func dot(_ a: [PaillierCiphertext], weights: [Double]) throws(CryptoError) -> PaillierCiphertext {
        guard !a.isEmpty else { throw CryptoError(.invalidParameter, "dot product of no ciphertexts") }
        return try sum(try multiply(a, by: weights))
    }

    /// The encrypted dot product with encoded weights (see ``dot(_:weights:)-([PaillierCiphertext],[Double])``).
    public func dot(_ a: [PaillierCiphertext], weights: [PaillierEncodedNumber]) throws(CryptoError) -> PaillierCiphertext {
        guard !a.isEmpty else { throw CryptoError(.invalidParameter, "dot product of no ciphertexts") }
        return try sum(try multiply(a, by: weights))
    }
}

extension PaillierPrivateKey {
    /// Decrypts many ciphertexts, using all cores.
    /// - Throws: the first ciphertext's ``CryptoError`` (malformed or overflowed).
    public func decrypt(_ ciphertexts: [PaillierCiphertext]) throws(CryptoError) -> [PaillierNumber] {
        try parallelMap(ciphertexts.count) { i throws(CryptoError) in try self.decrypt(ciphertexts[i]) }
    }
}
