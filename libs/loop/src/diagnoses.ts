/** The phantom's diagnoses: the fundus encoder's classes (the phantom library keeps its own list internal). */
export const DIAGNOSES = ['normal', 'diabetic_retinopathy', 'glaucoma', 'hypertensive_retinopathy', 'amd'] as const;
