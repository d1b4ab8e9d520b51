export * from './projection';
export * from './images-list.projection';
export * from './label-tasks.projection';
export * from './ratings.projection';
export * from './model-versions.projection';
export * from './people.projection';
export * from './audit-summary';
export * from './rebuild-state';
