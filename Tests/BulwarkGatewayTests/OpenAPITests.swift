import BulwarkGateway
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// `(method, path)` pairs in OpenAPI's path syntax.
struct Operation: Hashable, CustomStringConvertible {
    var method: String
    var path: String
    var description: String { "\(method) \(path)" }
}

func documentedOperations(_ document: JSONValue) -> Set<Operation> {
    guard case .object(let paths)? = document["paths"] else { return [] }
    var operations: Set<Operation> = []
    for (path, item) in paths {
        guard case .object(let methods) = item else { continue }
        for method in methods.keys { operations.insert(Operation(method: method.uppercased(), path: path)) }
    }
    return operations
}

func routedOperations(_ routes: GatewayRoutes) -> Set<Operation> {
    Set(routes.router.routes.map { route in
        let path = route.path.description
        return Operation(method: route.method.rawValue, path: path.hasPrefix("/") ? path : "/" + path)
    })
}

@Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() throws {
    let gateway = try testGateway()
    let routed = routedOperations(gateway.routes)
    let documented = documentedOperations(gateway.routes.openAPIDocument)
    #expect(routed.contains(Operation(method: "GET", path: "/healthz")))
    #expect(routed.contains(Operation(method: "GET", path: "/test/sleep/{milliseconds}")))
    #expect(routed.subtracting(documented).isEmpty, "routes missing from /openapi.json: \(routed.subtracting(documented))")
    #expect(documented.subtracting(routed).isEmpty, "documented routes that are not served: \(documented.subtracting(routed))")
}

@Test func routeAddedBehindTheDescriptionsBackIsCaught() throws {
    // The check above must be able to fail: a route put on the router directly is not documented.
    let gateway = try testGateway()
    gateway.routes.router.get("/undocumented") { _, _ in "x" }
    let missing = routedOperations(gateway.routes).subtracting(documentedOperations(gateway.routes.openAPIDocument))
    #expect(missing == [Operation(method: "GET", path: "/undocumented")])
}

@Test func documentHasTheRequiredOpenAPI31Fields() throws {
    let gateway = try testGateway()
    let document = gateway.routes.openAPIDocument
    guard case .string(let version)? = document["openapi"] else { Issue.record("no openapi field"); return }
    #expect(version.hasPrefix("3.1."))
    guard case .string? = document["info"]?["title"], case .string? = document["info"]?["version"] else {
        Issue.record("info.title and info.version are required")
        return
    }
    guard case .object(let schemas)? = document["components"]?["schemas"] else { Issue.record("no components.schemas"); return }
    #expect(schemas["Error"]?["required"] == ["error"])
    var operationIDs: [String] = []
    guard case .object(let paths)? = document["paths"] else { Issue.record("no paths"); return }
    for (path, item) in paths {
        #expect(path.hasPrefix("/"))
        guard case .object(let methods) = item else { Issue.record("\(path) is not an object"); continue }
        for (method, operation) in methods {
            #expect(["get", "put", "post", "delete", "options", "head", "patch", "trace"].contains(method))
            guard case .string(let id)? = operation["operationId"] else { Issue.record("\(method) \(path): no operationId"); continue }
            operationIDs.append(id)
            guard case .object(let responses)? = operation["responses"], !responses.isEmpty else {
                Issue.record("\(method) \(path): no responses")
                continue
            }
            for (status, response) in responses {
                guard case .string? = response["description"] else { Issue.record("\(method) \(path) \(status): no description"); continue }
                if let code = Int(status), code >= 400 {
                    #expect(response["content"]?["application/json"]?["schema"] == ["$ref": "#/components/schemas/Error"])
                }
                // Every $ref points at a schema the document defines.
                if case .string(let reference)? = response["content"]?["application/json"]?["schema"]?["$ref"] {
                    #expect(schemas[String(reference.dropFirst("#/components/schemas/".count))] != nil, "\(reference)")
                }
            }
            let parameters = OpenAPIDocumentTestHelper.pathParameters(path)
            if !parameters.isEmpty {
                guard case .array(let declared)? = operation["parameters"] else { Issue.record("\(path): parameters missing"); continue }
                #expect(declared.compactMap { if case .string(let name)? = $0["name"] { name } else { nil } } == parameters)
            }
        }
    }
    #expect(Set(operationIDs).count == operationIDs.count, "operationIds must be unique")
}

@Test func servedDocumentIsTheBuiltOne() async throws {
    let gateway = try testGateway()
    let app = try gateway.makeApplication()
    let expected = gateway.routes.openAPIDocument
    try await app.test(.router) { client in
        try await client.execute(uri: "/openapi.json", method: .get) { response in
            #expect(response.status == .ok)
            let served = try JSONDecoder().decode(JSONValue.self, from: Data(response.body.readableBytesView))
            #expect(served == expected)
        }
    }
}

@Test func healthAndReadiness() async throws {
    let gateway = try testGateway()
    let ready = ReadyFlag()
    gateway.routes.addReadinessCheck(named: "store") { ready.value }
    try await gateway.makeApplication().test(.router) { client in
        try await client.execute(uri: "/healthz", method: .get) { response in
            #expect(response.status == .ok && String(buffer: response.body) == #"{"status":"ok"}"#)
        }
        try await client.execute(uri: "/readyz", method: .get) { response in
            #expect(response.status == .serviceUnavailable)
            let body = try errorBody(response.body)
            #expect(body.error.message == "not ready: store")
        }
        ready.value = true
        try await client.execute(uri: "/readyz", method: .get) { response in
            #expect(response.status == .ok && String(buffer: response.body) == #"{"status":"ready"}"#)
        }
    }
}

/// A flag a readiness check reads and the test sets.
final class ReadyFlag: Sendable {
    private let state = Mutex(false)
    var value: Bool {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}

/// The `{name}` segments of a path, computed independently of the library's own helper.
enum OpenAPIDocumentTestHelper {
    static func pathParameters(_ path: String) -> [String] {
        path.components(separatedBy: "/").filter { $0.first == "{" && $0.last == "}" }.map { String($0.dropFirst().dropLast()) }
    }
}
