import {
  BrokenCircuitError,
  CircuitState as CockatielState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
  type CircuitBreakerPolicy,
} from "cockatiel";

/**
 * The seed's circuit breaker (§5.3) for dependency checks, on cockatiel's
 * ConsecutiveBreaker + halfOpenAfter, which has the same state machine:
 * - closed: calls go through; `failureThreshold` consecutive failures open the circuit;
 * - open: calls fail at once with CircuitOpenError until `timeoutMs` has passed since the
 *   failure that opened it;
 * - half-open: the next call is the trial; success closes the circuit (and resets the count),
 *   failure opens it for another `timeoutMs`.
 * Two differences from the seed's sketch, both deliberate: a success while closed resets the
 * failure count (the sketch never resets it, so five failures spread over a day would open
 * the circuit), and while a trial call is in flight other callers wait for its verdict
 * instead of all hitting the recovering dependency at once.
 * Time is read from Date.now(), so tests drive it with a fake clock.
 */

export type CircuitState = "closed" | "open" | "half-open";

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit; the seed's default is 5. */
  failureThreshold: number;
  /** How long the circuit stays open before a trial call; the seed's default is 60 s. */
  timeoutMs: number;
}

export const SEED_CIRCUIT_BREAKER_DEFAULTS: CircuitBreakerOptions = {
  failureThreshold: 5,
  timeoutMs: 60_000,
};

export class CircuitOpenError extends Error {
  constructor() {
    super("circuit breaker is open");
    this.name = "CircuitOpenError";
  }
}

export class CircuitBreaker {
  private readonly policy: CircuitBreakerPolicy;

  constructor(options: CircuitBreakerOptions = SEED_CIRCUIT_BREAKER_DEFAULTS) {
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) {
      throw new RangeError("failureThreshold must be a positive integer");
    }
    if (!(options.timeoutMs >= 0)) throw new RangeError("timeoutMs must be >= 0");
    this.policy = circuitBreaker(handleAll, {
      halfOpenAfter: options.timeoutMs,
      breaker: new ConsecutiveBreaker(options.failureThreshold),
    });
  }

  get state(): CircuitState {
    return stateNames[this.policy.state];
  }

  /** Runs `action` through the breaker; rejects with CircuitOpenError while open. */
  async call<T>(action: () => Promise<T>): Promise<T> {
    try {
      return await this.policy.execute(action);
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw new CircuitOpenError();
      throw error;
    }
  }

  onStateChange(listener: (state: CircuitState) => void): void {
    this.policy.onStateChange((state) => listener(stateNames[state]));
  }
}

const stateNames: Record<CockatielState, CircuitState> = {
  [CockatielState.Closed]: "closed",
  [CockatielState.Open]: "open",
  [CockatielState.HalfOpen]: "half-open",
  [CockatielState.Isolated]: "open",
};
