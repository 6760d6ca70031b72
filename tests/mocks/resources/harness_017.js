// json-server 0.17.4 built as its own tests build it (__tests__/server/*.js: create, defaults,
// rewriter, router), listening on a port, so the same requests can be sent over HTTP.
// `POST /__harness/setup` with {db, routes, options, id, wrap} builds a fresh server, as each
// test's `beforeEach` does; every other request goes to the server built last.
// Usage: node harness_017.js <json-server package folder> <port>
'use strict'
const http = require('http')
const jsonServer = require(process.argv[2])

let current = null

function build(spec) {
  const server = jsonServer.create()
  const router = jsonServer.router(spec.db, spec.options)
  server.use(jsonServer.defaults({ logger: false }))
  if (spec.routes) server.use(jsonServer.rewriter(spec.routes))
  server.use(router)
  if (spec.id) router.db._.id = spec.id
  // plural.js `router.render`: a custom render wraps the data
  if (spec.wrap) router.render = (req, res) => res.jsonp({ data: res.locals.data })
  return server
}

http
  .createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/__harness/setup') {
      let text = ''
      req.setEncoding('utf8')
      req.on('data', (chunk) => (text += chunk))
      req.on('end', () => {
        current = build(JSON.parse(text))
        res.end('ready')
      })
      return
    }
    if (current === null) {
      res.statusCode = 503
      res.end('no server set up')
      return
    }
    current(req, res)
  })
  .listen(Number(process.argv[3]), '127.0.0.1')
