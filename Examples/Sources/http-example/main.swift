import Foundation
import HTTPServer

var router = HTTPRouter()
router.get("/hello/{name}") { request in .text("hello \(request.pathParameters["name"] ?? "")\n") }
router.post("/orders") { request in
    guard request.headers.first("Content-Type") == "application/json" else { return .text("JSON only\n", status: .unsupportedMediaType) }
    var response = HTTPResponse.text("accepted\n", status: .accepted)
    response.headers.add(name: "Location", value: "/orders/1")
    return response
}
// Handlers get 5 s (then 503 with Retry-After); /livez is answered even at the connection limit;
// accept failures, the limit reached and the like go to `log`, as the server has no logger.
let port = Int(ProcessInfo.processInfo.environment["PORT"] ?? "") ?? 8080
let configuration = HTTPServer.Configuration(port: port, requestTimeout: .seconds(5), healthCheckPaths: ["/livez"],
                                             log: { event in print(event) })
let server = try await HTTPServer.bind(configuration: configuration, router: router)
print("http: serving on port \(server.port)")
await server.run()                                    // until server.shutdown(gracePeriod:)
