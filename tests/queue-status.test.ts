// The wording of a place in line (components/chat/queue-status.ts), as the browser counts it down.
import { expect, it } from "vitest";
import { describeQueue } from "@/components/chat/queue-status";

it("says about how long, then \"starting…\" once less than 2 s are left", () => {
  expect(describeQueue({ position: 12, etaSeconds: 8.4 })).toBe("You are 12th in line, about 8 s");
  expect(describeQueue({ position: 3, etaSeconds: 150 })).toBe("You are 3rd in line, about 3 min");
  expect(describeQueue({ position: 2, etaSeconds: 2 })).toBe("You are 2nd in line, about 2 s");
  expect(describeQueue({ position: 1, etaSeconds: 1.9 })).toBe("You are 1st in line, starting…");
  expect(describeQueue({ position: 1, etaSeconds: 0 })).toBe("You are 1st in line, starting…");
});
