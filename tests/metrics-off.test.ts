/** Without METRICS_TOKEN, GET /api/metrics is off: 404 whatever is sent, as if there were no such route. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startRouteApp, type RouteApp } from "./support/route-app";
import { RouteClient } from "./support/route-client";

let app: RouteApp;

beforeAll(async () => {
  app = await startRouteApp();
});

afterAll(async () => {
  await app?.dispose();
});

it.each([[undefined], ["Bearer anything-at-all-0123456789"], ["Bearer "]])("answers 404 with authorization %s", async (authorization) => {
  expect(app.services.config.metrics.token).toBeUndefined();
  const response = await new RouteClient().call(app.routes.metrics.GET, {
    path: "/api/metrics",
    headers: authorization === undefined ? {} : { authorization },
  });
  expect(response.status).toBe(404);
  expect((await response.json()).error.code).toBe("not_found");
});
