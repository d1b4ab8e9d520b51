/**
 * One decider per aggregate: `decide` turns a command and the current state into new events
 * (or throws a DomainError), `evolve` folds one event into the state. Both are pure.
 */
export type Decider<State, Cmd, Evt> = {
  decide: (command: Cmd, state: State) => Evt[];
  evolve: (state: State, event: Evt) => State;
  initialState: () => State;
};

/** The state of a stream after folding its events, as a handler does after loading it. */
export function foldState<State, Evt>(decider: Pick<Decider<State, unknown, Evt>, 'evolve' | 'initialState'>, events: Evt[]): State {
  return events.reduce(decider.evolve, decider.initialState());
}
