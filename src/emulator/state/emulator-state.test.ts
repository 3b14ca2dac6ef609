import { describe, expect, it } from "vitest";
import { ManualClock } from "../../clock/manual-clock.js";
import { QuarryError } from "../../errors/quarry-error.js";
import { parseEmulatorConfig } from "../config/parse-emulator-config.js";
import { EmulatorState } from "./emulator-state.js";

const TEXT_CALL = { streaming: false, text: true };

function draws(state: EmulatorState, n: number) {
  return Array.from({ length: n }, () => state.faults.draw("InvokeModel", TEXT_CALL));
}

describe("EmulatorState", () => {
  it("refuses a configuration change whose fault rates add up to more than 1, whole", () => {
    const state = new EmulatorState(
      parseEmulatorConfig({ faults: { internalServerError: 0.6 } }),
      new ManualClock(),
    );
    expect(() =>
      state.configure({ faults: { modelTimeout: 0.6 }, quotas: { "*": { tpm: 5 } } }),
    ).toThrow(QuarryError);
    // Nothing of the refused change applied.
    expect(state.config.faults.modelTimeout).toBe(0);
    expect(state.config.quotas).toEqual({});
    expect(state.quotas.limitsFor("m")).toEqual({});
  });

  it("refuses a starting configuration whose fault rates add up to more than 1", () => {
    expect(
      () =>
        new EmulatorState(
          parseEmulatorConfig({ faults: { internalServerError: 0.6, modelTimeout: 0.6 } }),
          new ManualClock(),
        ),
    ).toThrow("add up to 1.2");
  });

  it("replays the same faults after reset", () => {
    const state = new EmulatorState(
      parseEmulatorConfig({ faults: { internalServerError: 0.3, modelTimeout: 0.3 } }),
      new ManualClock(),
    );
    const first = draws(state, 100);
    state.reset();
    expect(draws(state, 100)).toEqual(first);
  });

  it("restarts the random streams from a new seed when the seed changes", () => {
    const config = { seed: 77, faults: { internalServerError: 0.5 } };
    const fresh = new EmulatorState(parseEmulatorConfig(config), new ManualClock());
    const expected = draws(fresh, 50);
    const state = new EmulatorState(
      parseEmulatorConfig({ faults: { internalServerError: 0.5 } }),
      new ManualClock(),
    );
    draws(state, 13);
    state.configure({ seed: 77 });
    expect(draws(state, 50)).toEqual(expected);
  });

  it("numbers request ids from 1 again after reset", () => {
    const state = new EmulatorState(parseEmulatorConfig({}), new ManualClock());
    expect(state.nextRequestId()).toBe("00000000-0000-4000-8000-000000000001");
    expect(state.nextRequestId()).toBe("00000000-0000-4000-8000-000000000002");
    state.reset();
    expect(state.nextRequestId()).toBe("00000000-0000-4000-8000-000000000001");
  });
});
