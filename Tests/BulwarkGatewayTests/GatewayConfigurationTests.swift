import BulwarkGateway
import Foundation
import NIOSSL
import Testing

@Test(arguments: ["0.0.0.0", "::", "[::]", "10.1.2.3", "192.168.0.1", "example.com", "128.0.0.1", "::2", "127.0.0.256"])
func insecureHTTPRefusesNonLoopbackHosts(host: String) {
    let configuration = GatewayConfiguration(host: host, port: 8080, insecureHTTP: true)
    #expect(throws: GatewayError.self) { try configuration.validate() }
    do {
        try configuration.validate()
    } catch {
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains("--insecure-http") && error.message.contains("--host \(host)"))
    }
}

@Test(arguments: ["127.0.0.1", "127.9.8.7", "localhost", "LOCALHOST", "::1", "[::1]", "0:0:0:0:0:0:0:1", "::0:1"])
func insecureHTTPAcceptsLoopbackHosts(host: String) throws {
    try GatewayConfiguration(host: host, port: 0, insecureHTTP: true).validate()
}

@Test func tlsFlagsAreRequiredWithoutInsecureHTTP() {
    func message(_ configuration: GatewayConfiguration) -> String? {
        do { try configuration.validate() } catch { return error.code == .invalidConfiguration ? error.message : nil }
        return nil
    }
    let neither = message(GatewayConfiguration(host: "0.0.0.0"))
    #expect(neither?.contains("--tls-cert") == true && neither?.contains("--tls-key") == true)
    #expect(message(GatewayConfiguration(tlsPrivateKeyPath: "k.pem"))?.hasPrefix("--tls-cert is required") == true)
    #expect(message(GatewayConfiguration(tlsCertificatePath: "c.pem"))?.hasPrefix("--tls-key is required") == true)
    #expect(message(GatewayConfiguration(host: "127.0.0.1", tlsCertificatePath: "c.pem", insecureHTTP: true))?.contains("cannot be combined") == true)
    #expect(message(GatewayConfiguration(host: "0.0.0.0", tlsCertificatePath: "c.pem", tlsPrivateKeyPath: "k.pem")) == nil)
}

@Test func limitsAndPortAreRangeChecked() {
    let bad: [(GatewayConfiguration, String)] = [
        (GatewayConfiguration(port: 70_000, insecureHTTP: true), "--port"),
        (GatewayConfiguration(insecureHTTP: true, maxRequestBodyBytes: -1), "--max-body"),
        (GatewayConfiguration(insecureHTTP: true, maxRequestBodyBytes: 10, maxUploadBodyBytes: 5), "--max-upload"),
        (GatewayConfiguration(insecureHTTP: true, requestTimeoutSeconds: 0), "--request-timeout"),
        (GatewayConfiguration(insecureHTTP: true, idleTimeoutSeconds: .nan), "--idle-timeout"),
        (GatewayConfiguration(insecureHTTP: true, shutdownGracePeriodSeconds: -1), "--grace-period"),
    ]
    for (configuration, flag) in bad {
        do {
            try configuration.validate()
            Issue.record("accepted a bad \(flag)")
        } catch {
            #expect(error.message.hasPrefix(flag))
        }
    }
}

@Test func tlsFilesAreCheckedAndNamed() throws {
    let pki = try TestPKI()
    defer { pki.remove() }
    let tls = try GatewayTLS.load(certificatePath: pki.certificatePath, privateKeyPath: pki.keyPath)
    #expect(tls.configuration.minimumTLSVersion == .tlsv12)
    #expect(tls.warnings.isEmpty)

    let missing = pki.directory.appendingPathComponent("absent.pem").path
    #expect(throws: GatewayError(.io, "--tls-cert \(missing): no such file")) {
        try GatewayTLS.load(certificatePath: missing, privateKeyPath: pki.keyPath)
    }
    let garbage = try pki.write("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n", named: "garbage.pem")
    do {
        _ = try GatewayTLS.load(certificatePath: garbage, privateKeyPath: pki.keyPath)
        Issue.record("accepted a malformed certificate")
    } catch {
        #expect(error.code == .malformed && error.message.hasPrefix("--tls-cert \(garbage)"))
    }
    do {
        _ = try GatewayTLS.load(certificatePath: pki.certificatePath, privateKeyPath: pki.certificatePath)
        Issue.record("accepted a certificate as a key")
    } catch {
        #expect(error.code == .malformed && error.message.hasPrefix("--tls-key \(pki.certificatePath)"))
    }
    // A valid key of another certificate.
    let other = try TestPKI()
    defer { other.remove() }
    do {
        _ = try GatewayTLS.load(certificatePath: pki.certificatePath, privateKeyPath: other.keyPath)
        Issue.record("accepted a key that does not match the certificate")
    } catch {
        #expect(error.code == .malformed && error.message.contains("does not match"))
    }
}

@Test func worldReadableKeyIsWarnedAbout() throws {
    let pki = try TestPKI()
    defer { pki.remove() }
    try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: pki.keyPath)
    let tls = try GatewayTLS.load(certificatePath: pki.certificatePath, privateKeyPath: pki.keyPath)
    #expect(tls.warnings.count == 1)
    #expect(tls.warnings.first?.contains("mode 644") == true)
}
