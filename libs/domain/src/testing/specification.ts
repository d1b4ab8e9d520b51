import type { Decider } from '../shared/decider';
import { DomainError, type DomainErrorCode } from '../shared/errors';

/**
 * Given/When/Then for a decider, with no mocks:
 *   spec.given([events]).when(command).then([events])
 *   spec.given([events]).when(command).thenThrows('TASK_ALREADY_COMPLETED')
 */
export function specification<State, Cmd, Evt>(decider: Decider<State, Cmd, Evt>) {
  return {
    given(history: Evt[]) {
      return {
        when(command: Cmd) {
          const run = () => decider.decide(command, history.reduce(decider.evolve, decider.initialState()));
          return {
            then(expected: Evt[]): void {
              expect(run()).toEqual(expected);
            },
            /** Returns the produced events for assertions that are easier written by hand. */
            events(): Evt[] {
              return run();
            },
            thenThrows(code: DomainErrorCode): DomainError {
              let thrown: unknown;
              try {
                run();
              } catch (error) {
                thrown = error;
              }
              expect(thrown).toBeInstanceOf(DomainError);
              expect((thrown as DomainError).code).toBe(code);
              return thrown as DomainError;
            },
          };
        },
      };
    },
  };
}
