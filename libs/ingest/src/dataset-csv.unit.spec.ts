import { parseDatasetCsv } from './dataset-csv';
import { parseRatingsCsv } from './ratings-csv';
import { IngestError, IngestErrors } from './errors';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof IngestErrors) return err.problems.map((p) => p.message);
    if (err instanceof IngestError) return [err.message];
    throw err;
  }
  throw new Error('expected a failure');
}

describe('dataset CSV', () => {
  it('reads path,text,modality with label columns', () => {
    const rows = parseDatasetCsv('path,text,modality,grade\na.png,"Mild NPDR, few MA",fundus,1\nb.png,Normal fundus,fundus,\n', 'd.csv');
    expect(rows).toEqual([
      { row: 1, path: 'a.png', text: 'Mild NPDR, few MA', modality: 'fundus', labels: { grade: '1' } },
      { row: 2, path: 'b.png', text: 'Normal fundus', modality: 'fundus', labels: {} },
    ]);
  });

  it("accepts MINIM's own spellings (Text, modal)", () => {
    const rows = parseDatasetCsv('path,Text,modal\nx/1.png,Glaucoma,fundus\n', 'm.csv');
    expect(rows[0]).toMatchObject({ path: 'x/1.png', text: 'Glaucoma', modality: 'fundus' });
  });

  it('names the missing column', () => {
    expect(problemsOf(() => parseDatasetCsv('path,modality\na.png,fundus\n', 'd.csv'))[0]).toMatch(/d\.csv, row 0: missing required column\(s\): text/);
  });

  it('lists every bad row with its number and field', () => {
    const problems = problemsOf(() => parseDatasetCsv('path,text,modality\na.png,,fundus\n,ok,fundus\na.png,ok,bad/modality\n', 'd.csv'));
    expect(problems).toEqual([
      "d.csv, row 1, field 'text': empty text",
      "d.csv, row 2, field 'path': empty image path",
      "d.csv, row 3, field 'path': image path 'a.png' already listed at row 1",
      "d.csv, row 3, field 'modality': modality 'bad/modality' is not a simple name",
    ]);
  });

  it('refuses malformed CSV with the line', () => {
    expect(problemsOf(() => parseDatasetCsv('path,text,modality\na.png,"unclosed,fundus\n', 'd.csv'))[0]).toMatch(/malformed CSV/);
    expect(problemsOf(() => parseDatasetCsv('path,text,modality\na.png,t,fundus,extra\n', 'd.csv'))[0]).toMatch(/d\.csv, row 1: malformed CSV/);
    expect(problemsOf(() => parseDatasetCsv('', 'd.csv'))[0]).toMatch(/file is empty/);
    expect(problemsOf(() => parseDatasetCsv('\u0000\u0001', 'd.csv'))[0]).toMatch(/not a text file/);
  });
});

describe('ratings CSV', () => {
  it('reads MINIM ratings', () => {
    const rows = parseRatingsCsv('image_path,rating,modality,expert_level,prompt\ng/1.png,3,fundus,senior,Normal fundus\n', 'r.csv');
    expect(rows).toEqual([{ row: 1, imagePath: 'g/1.png', rating: 3, modality: 'fundus', expertLevel: 'senior', prompt: 'Normal fundus' }]);
  });

  it('refuses ratings outside 1..3 naming row and field', () => {
    const problems = problemsOf(() => parseRatingsCsv('image_path,rating,modality,expert_level,prompt\na.png,4,fundus,j,p\nb.png,2.5,fundus,j,p\nc.png,x,fundus,j,p\n', 'r.csv'));
    expect(problems).toEqual([
      "r.csv, row 1, field 'rating': rating must be 1, 2 or 3, got '4'",
      "r.csv, row 2, field 'rating': rating must be 1, 2 or 3, got '2.5'",
      "r.csv, row 3, field 'rating': rating must be 1, 2 or 3, got 'x'",
    ]);
  });
});
