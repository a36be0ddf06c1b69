import { describe, expect, it } from 'vitest';
import {
  compilePattern,
  matchesPattern,
  UnsupportedPatternError,
  validatePattern,
} from '../../local/events/pattern.ts';

/**
 * Each group takes its cases from AWS's documentation of EventBridge event patterns (the page is
 * named above the group), with the non-matching events the pages describe or imply.
 */
interface Case {
  name: string;
  pattern: Record<string, unknown>;
  event: Record<string, unknown>;
  matches: boolean;
}

function table(cases: Case[]): void {
  it.each(cases)('$name', ({ pattern, event, matches }) => {
    expect(validatePattern(pattern)).toEqual([]);
    expect(matchesPattern(pattern, event)).toBe(matches);
  });
}

// EventBridge user guide, page eb-event-patterns
const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};
const terminations = {
  source: ['aws.ec2'],
  'detail-type': ['EC2 Instance State-change Notification'],
  detail: { state: ['terminated'] },
};

describe('matchesPattern: exact values (eb-event-patterns, eb-create-pattern)', () => {
  table([
    {
      name: 'the EC2 termination pattern matches the terminated event',
      pattern: terminations,
      event: ec2Event,
      matches: true,
    },
    {
      name: 'it does not match the same event in state "running"',
      pattern: terminations,
      event: { ...ec2Event, detail: { ...ec2Event.detail, state: 'running' } },
      matches: false,
    },
    {
      name: 'it does not match an event from another source',
      pattern: terminations,
      event: { ...ec2Event, source: 'aws.fargate' },
      matches: false,
    },
    {
      name: 'it does not match an event without the detail.state field',
      pattern: terminations,
      event: { ...ec2Event, detail: { 'instance-id': 'i-1' } },
      matches: false,
    },
    {
      name: 'a list of values matches any of them ("aws.ec2" or "aws.fargate")',
      pattern: { source: ['aws.ec2', 'aws.fargate'] },
      event: { source: 'aws.fargate' },
      matches: true,
    },
    {
      name: 'matching is character by character, without case folding',
      pattern: { source: ['aws.ec2'] },
      event: { source: 'AWS.EC2' },
      matches: false,
    },
    {
      name: 'the Macie pattern matches a risk score of 80 and a trigger risk of 8',
      pattern: {
        source: ['aws.macie'],
        'detail-type': ['Macie Alert'],
        detail: { 'risk-score': [80], trigger: { risk: [8] } },
      },
      event: {
        source: 'aws.macie',
        'detail-type': 'Macie Alert',
        detail: { 'risk-score': 80, trigger: { 'alert-type': 'basic', risk: 8 } },
      },
      matches: true,
    },
    {
      name: 'a number does not match its string form',
      pattern: { detail: { 'risk-score': [80] } },
      event: { detail: { 'risk-score': '80' } },
      matches: false,
    },
    {
      name: 'a field must appear with the same nesting (risk at the top level is not detail.trigger.risk)',
      pattern: { detail: { trigger: { risk: [8] } } },
      event: { detail: { risk: 8 } },
      matches: false,
    },
    {
      name: 'the "And" operator: Location is "New York" and Day is "Monday"',
      pattern: { Location: ['New York'], Day: ['Monday'] },
      event: { Location: 'New York', Day: 'Tuesday' },
      matches: false,
    },
    {
      name: 'booleans match booleans',
      pattern: { detail: { enabled: [true] } },
      event: { detail: { enabled: true } },
      matches: true,
    },
  ]);
});

// EventBridge user guide, page eb-event-patterns-null-values
describe('matchesPattern: null values and empty strings (eb-event-patterns-null-values)', () => {
  const event = {
    'detail-type': 'EC2 Instance Launch Successful',
    source: 'aws.autoscaling',
    detail: { eventVersion: '', responseElements: null },
  };
  table([
    {
      name: '[""] matches an empty string',
      pattern: { detail: { eventVersion: [''] } },
      event,
      matches: true,
    },
    {
      name: '[null] matches a null value',
      pattern: { detail: { responseElements: [null] } },
      event,
      matches: true,
    },
    {
      name: '[""] does not match null (not interchangeable)',
      pattern: { detail: { responseElements: [''] } },
      event,
      matches: false,
    },
    {
      name: '[null] does not match an empty string (not interchangeable)',
      pattern: { detail: { eventVersion: [null] } },
      event,
      matches: false,
    },
    {
      name: '[null] does not match a missing field',
      pattern: { detail: { userId: [null] } },
      event,
      matches: false,
    },
  ]);
});

// EventBridge user guide, page eb-event-patterns-arrays
describe('matchesPattern: arrays (eb-event-patterns-arrays)', () => {
  const pattern = {
    resources: [
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
    ],
  };
  table([
    {
      name: 'matches when the pattern array and the event array intersect',
      pattern,
      event: {
        resources: [
          'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        ],
      },
      matches: true,
    },
    {
      name: 'does not match when they do not intersect',
      pattern,
      event: { resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f'] },
      matches: false,
    },
    { name: 'does not match an empty event array', pattern, event: { resources: [] }, matches: false },
    // event-ruler README, "JSON Array Matching": a nested pattern matches one element of an array
    // of objects, and fields from different elements are not combined.
    {
      name: 'a nested pattern matches an element of an array of objects',
      pattern: { employees: { firstName: ['Anna'] } },
      event: {
        employees: [
          { firstName: 'John', lastName: 'Doe' },
          { firstName: 'Anna', lastName: 'Smith' },
        ],
      },
      matches: true,
    },
    {
      name: 'fields from different array elements are not combined',
      pattern: { employees: { firstName: ['Anna'], lastName: ['Jones'] } },
      event: {
        employees: [
          { firstName: 'Anna', lastName: 'Smith' },
          { firstName: 'Peter', lastName: 'Jones' },
        ],
      },
      matches: false,
    },
  ]);
});

// EventBridge user guide, page eb-create-pattern-operators
// (sections "Prefix matching", "Suffix matching", "Equals-ignore-case matching")
describe('matchesPattern: prefix, suffix, equals-ignore-case (eb-create-pattern-operators)', () => {
  table([
    {
      name: 'prefix "2017-10-02" matches time "2017-10-02T18:43:48Z"',
      pattern: { time: [{ prefix: '2017-10-02' }] },
      event: { time: '2017-10-02T18:43:48Z' },
      matches: true,
    },
    {
      name: 'prefix "2017-10-02" does not match another day',
      pattern: { time: [{ prefix: '2017-10-02' }] },
      event: { time: '2017-10-03T18:43:48Z' },
      matches: false,
    },
    {
      name: 'prefix only applies to strings',
      pattern: { detail: { code: [{ prefix: '4' }] } },
      event: { detail: { code: 404 } },
      matches: false,
    },
    {
      name: 'prefix with equals-ignore-case: "eventb" matches "EventBridge"',
      pattern: { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] },
      event: { service: 'EventBridge' },
      matches: true,
    },
    {
      name: 'prefix with equals-ignore-case does not match another prefix',
      pattern: { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] },
      event: { service: 'Lambda' },
      matches: false,
    },
    {
      name: 'suffix ".png" matches "image.png"',
      pattern: { FileName: [{ suffix: '.png' }] },
      event: { FileName: 'image.png' },
      matches: true,
    },
    {
      name: 'suffix ".png" does not match "image.jpg"',
      pattern: { FileName: [{ suffix: '.png' }] },
      event: { FileName: 'image.jpg' },
      matches: false,
    },
    {
      name: 'suffix is case-sensitive without equals-ignore-case',
      pattern: { FileName: [{ suffix: '.png' }] },
      event: { FileName: 'IMAGE.PNG' },
      matches: false,
    },
    {
      name: 'suffix with equals-ignore-case: "tBridge" matches "EventBRIDGE"',
      pattern: { service: [{ suffix: { 'equals-ignore-case': 'tBridge' } }] },
      event: { service: 'EventBRIDGE' },
      matches: true,
    },
    {
      name: 'equals-ignore-case "alice" matches Name "Alice"',
      pattern: { Name: [{ 'equals-ignore-case': 'alice' }] },
      event: { Name: 'Alice' },
      matches: true,
    },
    {
      name: 'equals-ignore-case "alice" does not match "Alicia"',
      pattern: { Name: [{ 'equals-ignore-case': 'alice' }] },
      event: { Name: 'Alicia' },
      matches: false,
    },
  ]);
});

// EventBridge user guide, page eb-event-patterns-content-based-filtering
// and eb-create-pattern-operators.html, "Anything-but matching"
describe('matchesPattern: anything-but (eb-event-patterns-content-based-filtering)', () => {
  table([
    {
      name: 'anything-but "initializing" matches "running"',
      pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } },
      event: { detail: { state: 'running' } },
      matches: true,
    },
    {
      name: 'anything-but "initializing" does not match "initializing"',
      pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } },
      event: { detail: { state: 'initializing' } },
      matches: false,
    },
    {
      name: 'anything-but 123 matches 124',
      pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
      event: { detail: { 'x-limit': 124 } },
      matches: true,
    },
    {
      name: 'anything-but 123 does not match 123',
      pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
      event: { detail: { 'x-limit': 123 } },
      matches: false,
    },
    {
      name: 'anything-but ["stopped", "overloaded"] does not match "overloaded"',
      pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
      event: { detail: { state: 'overloaded' } },
      matches: false,
    },
    {
      name: 'anything-but ["stopped", "overloaded"] matches "running"',
      pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
      event: { detail: { state: 'running' } },
      matches: true,
    },
    {
      name: 'anything-but [100, 200, 300] does not match 200',
      pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
      event: { detail: { 'x-limit': 200 } },
      matches: false,
    },
    {
      name: 'anything-but [100, 200, 300] matches 301.8',
      pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
      event: { detail: { 'x-limit': 301.8 } },
      matches: true,
    },
    {
      name: 'anything-but {prefix: "init"} does not match "initializing"',
      pattern: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
      event: { detail: { state: 'initializing' } },
      matches: false,
    },
    {
      name: 'anything-but {prefix: "init"} matches "running"',
      pattern: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
      event: { detail: { state: 'running' } },
      matches: true,
    },
    {
      name: 'anything-but {prefix: "us-"}: a Region outside the US matches',
      pattern: { Region: [{ 'anything-but': { prefix: 'us-' } }] },
      event: { Region: 'eu-west-1' },
      matches: true,
    },
    {
      name: 'anything-but {suffix: ".png"} does not match "image.png"',
      pattern: { FileName: [{ 'anything-but': { suffix: '.png' } }] },
      event: { FileName: 'image.png' },
      matches: false,
    },
    {
      name: 'anything-but {suffix: ".png"} matches "image.jpg"',
      pattern: { FileName: [{ 'anything-but': { suffix: '.png' } }] },
      event: { FileName: 'image.jpg' },
      matches: true,
    },
    {
      name: 'anything-but {equals-ignore-case: "initializing"} does not match "INITIALIZING"',
      pattern: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] },
      event: { state: 'INITIALIZING' },
      matches: false,
    },
    {
      name: 'anything-but {equals-ignore-case: "initializing"} matches "running"',
      pattern: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] },
      event: { state: 'running' },
      matches: true,
    },
    {
      name: 'anything-but {wildcard: "*/lib/*"} does not match a path through /lib/',
      pattern: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
      event: { FilePath: '/usr/lib/libc.so' },
      matches: false,
    },
    {
      name: 'anything-but {wildcard: "*/lib/*"} matches a path elsewhere',
      pattern: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
      event: { FilePath: '/usr/bin/env' },
      matches: true,
    },
    {
      name: 'the "Not" operator: Weather anything-but ["Raining"] does not match "Raining"',
      pattern: { Weather: [{ 'anything-but': ['Raining'] }] },
      event: { Weather: 'Raining' },
      matches: false,
    },
    {
      name: 'anything-but does not match a missing field (there is no value to compare)',
      pattern: { Weather: [{ 'anything-but': ['Raining'] }] },
      event: { Temperature: 20 },
      matches: false,
    },
    {
      name: 'anything-but on an array matches when some element is not excluded',
      pattern: { detail: { state: [{ 'anything-but': 'stopped' }] } },
      event: { detail: { state: ['stopped', 'running'] } },
      matches: true,
    },
  ]);
});

// EventBridge user guide, page eb-event-patterns-content-based-filtering
// ("Numeric matching") and eb-create-pattern-operators.html ("Numeric (equals)", "Numeric (range)")
describe('matchesPattern: numeric (eb-event-patterns-content-based-filtering)', () => {
  const pattern = {
    detail: {
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    },
  };
  table([
    {
      name: 'matches when every numeric field is in range',
      pattern,
      event: { detail: { 'c-count': 5, 'd-count': 3, 'x-limit': 301.8 } },
      matches: true,
    },
    {
      name: 'the lower bound is exclusive: c-count 0 does not match "> 0"',
      pattern,
      event: { detail: { 'c-count': 0, 'd-count': 3, 'x-limit': 301.8 } },
      matches: false,
    },
    {
      name: 'the upper bound is exclusive: d-count 10 does not match "< 10"',
      pattern,
      event: { detail: { 'c-count': 1, 'd-count': 10, 'x-limit': 301.8 } },
      matches: false,
    },
    {
      name: '"=" compares numerically: x-limit 301.8 equals 3.018e2, 301.9 does not',
      pattern,
      event: { detail: { 'c-count': 1, 'd-count': 3, 'x-limit': 301.9 } },
      matches: false,
    },
    {
      name: 'numeric matching only works with JSON numbers ("5" is a string)',
      pattern: { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } },
      event: { detail: { 'c-count': '5' } },
      matches: false,
    },
    {
      name: 'Price "= 100" matches 100',
      pattern: { Price: [{ numeric: ['=', 100] }] },
      event: { Price: 100 },
      matches: true,
    },
    {
      name: 'Price "> 10, <= 20" matches 20 and not 10',
      pattern: { Price: [{ numeric: ['>', 10, '<=', 20] }] },
      event: { Price: 10 },
      matches: false,
    },
    {
      name: 'values outside the documented ±1e9 do not match numerically',
      pattern: { Price: [{ numeric: ['>', 0] }] },
      event: { Price: 2e9 },
      matches: false,
    },
  ]);
});

// EventBridge user guide, page eb-event-patterns-content-based-filtering
// ("IP address matching")
describe('matchesPattern: cidr (eb-event-patterns-content-based-filtering)', () => {
  table([
    {
      name: '10.0.0.0/24 matches 10.0.0.12',
      pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
      event: { detail: { sourceIPAddress: '10.0.0.12' } },
      matches: true,
    },
    {
      name: '10.0.0.0/24 does not match 10.0.1.12',
      pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
      event: { detail: { sourceIPAddress: '10.0.1.12' } },
      matches: false,
    },
    {
      name: 'IPv6 blocks match IPv6 addresses',
      pattern: { detail: { sourceIPAddress: [{ cidr: '2001:db8::/32' }] } },
      event: { detail: { sourceIPAddress: '2001:db8:1::7' } },
      matches: true,
    },
    {
      name: 'a string that is not an address does not match',
      pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
      event: { detail: { sourceIPAddress: 'localhost' } },
      matches: false,
    },
  ]);
});

// EventBridge user guide, page eb-event-patterns-content-based-filtering
// ("Exists matching"): presence or absence of a field; the value is not considered; leaf nodes only.
describe('matchesPattern: exists (eb-event-patterns-content-based-filtering)', () => {
  const ec2State = {
    'detail-type': 'EC2 Instance State-change Notification',
    resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
    detail: { state: ['initializing', 'running'] },
  };
  table([
    {
      name: 'exists: false matches an event without detail.c-count',
      pattern: { detail: { 'c-count': [{ exists: false }] } },
      event: ec2State,
      matches: true,
    },
    {
      name: 'exists: false also matches when c-count is an object (not a leaf node)',
      pattern: { detail: { 'c-count': [{ exists: false }] } },
      event: { ...ec2State, detail: { ...ec2State.detail, 'c-count': { c1: 100 } } },
      matches: true,
    },
    {
      name: 'exists: false does not match when c-count is present',
      pattern: { detail: { 'c-count': [{ exists: false }] } },
      event: { detail: { 'c-count': 3 } },
      matches: false,
    },
    {
      name: 'exists: true (ProductName exists) matches a present field',
      pattern: { ProductName: [{ exists: true }] },
      event: { ProductName: 'Widget' },
      matches: true,
    },
    {
      name: 'exists: true does not match a missing field',
      pattern: { ProductName: [{ exists: true }] },
      event: { Price: 3 },
      matches: false,
    },
    {
      name: 'exists: true does not match an intermediate node',
      pattern: { detail: { 'c-count': [{ exists: true }] } },
      event: { detail: { 'c-count': { c1: 100 } } },
      matches: false,
    },
    {
      name: 'exists: true matches a field whose value is null (the value is not considered)',
      pattern: { detail: { responseElements: [{ exists: true }] } },
      event: { detail: { responseElements: null } },
      matches: true,
    },
    {
      name: 'exists: false does not match a field whose value is null (it is present)',
      pattern: { detail: { responseElements: [{ exists: false }] } },
      event: { detail: { responseElements: null } },
      matches: false,
    },
    {
      name: 'exists: false matches when the whole parent object is missing',
      pattern: { detail: { 'c-count': [{ exists: false }] } },
      event: { source: 'aws.ec2' },
      matches: true,
    },
  ]);
});

// EventBridge user guide, page eb-create-pattern-operators ("Wildcard"),
// the AWS Compute blog post on filtering events with wildcard pattern matching,
// and the event-ruler README ("Wildcard matching") for escapes.
describe('matchesPattern: wildcard (eb-create-pattern-operators)', () => {
  table([
    {
      name: '"dir/*.png" matches a .png file in dir',
      pattern: { FileName: [{ wildcard: 'dir/*.png' }] },
      event: { FileName: 'dir/image.png' },
      matches: true,
    },
    {
      name: '"dir/*.png" does not match a .png file elsewhere',
      pattern: { FileName: [{ wildcard: 'dir/*.png' }] },
      event: { FileName: 'other/image.png' },
      matches: false,
    },
    {
      name: '"*" matches zero characters ("dir/.png")',
      pattern: { FileName: [{ wildcard: 'dir/*.png' }] },
      event: { FileName: 'dir/.png' },
      matches: true,
    },
    {
      name: '"*Title*" matches a value with Title in the middle',
      pattern: { detail: { name: [{ wildcard: '*Title*' }] } },
      event: { detail: { name: 'The Title Page' } },
      matches: true,
    },
    {
      name: '"Simple*Service" matches "Simple Notification Service"',
      pattern: { source: [{ wildcard: 'Simple*Service' }] },
      event: { source: 'Simple Notification Service' },
      matches: true,
    },
    {
      name: 'wildcard is case-sensitive and anchored at both ends',
      pattern: { source: [{ wildcard: 'Simple*Service' }] },
      event: { source: 'simple Notification Service!' },
      matches: false,
    },
    {
      name: 'an escaped \\* matches a literal asterisk only',
      pattern: { detail: { note: [{ wildcard: 'a\\*b' }] } },
      event: { detail: { note: 'a*b' } },
      matches: true,
    },
    {
      name: 'an escaped \\* does not act as a wildcard',
      pattern: { detail: { note: [{ wildcard: 'a\\*b' }] } },
      event: { detail: { note: 'axxb' } },
      matches: false,
    },
    {
      name: 'an escaped \\\\ matches a literal backslash',
      pattern: { detail: { path: [{ wildcard: 'C:\\\\*' }] } },
      event: { detail: { path: 'C:\\Windows' } },
      matches: true,
    },
    {
      name: 'regex metacharacters are literal',
      pattern: { detail: { v: [{ wildcard: 'a.c*' }] } },
      event: { detail: { v: 'abc' } },
      matches: false,
    },
  ]);
});

// EventBridge user guide, page eb-create-pattern-operators ("Or"),
// with the nested forms from the event-ruler README ("The $or Primitive").
describe('matchesPattern: $or (eb-create-pattern-operators)', () => {
  const cloudwatch = {
    source: ['aws.cloudwatch'],
    $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
  };
  table([
    {
      name: 'PaymentType "Credit" or "Debit" (values in one array)',
      pattern: { PaymentType: ['Credit', 'Debit'] },
      event: { PaymentType: 'Debit' },
      matches: true,
    },
    {
      name: '$or: Location is "New York" or Day is "Monday" (first branch)',
      pattern: { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] },
      event: { Location: 'New York', Day: 'Sunday' },
      matches: true,
    },
    {
      name: '$or: Location is "New York" or Day is "Monday" (second branch)',
      pattern: { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] },
      event: { Location: 'Boston', Day: 'Monday' },
      matches: true,
    },
    {
      name: '$or: neither branch matches',
      pattern: { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] },
      event: { Location: 'Boston', Day: 'Sunday' },
      matches: false,
    },
    {
      name: '"source" && ("metricName" || "namespace"): namespace branch',
      pattern: cloudwatch,
      event: { source: 'aws.cloudwatch', namespace: 'AWS/ES' },
      matches: true,
    },
    {
      name: '"source" && ("metricName" || "namespace"): source differs',
      pattern: cloudwatch,
      event: { source: 'aws.ec2', metricName: 'CPUUtilization' },
      matches: false,
    },
    {
      name: 'an $or branch with an And inside needs all of its fields',
      pattern: {
        source: ['aws.cloudwatch'],
        $or: [{ metricName: ['CPUUtilization'] }, { metricType: ['MetricType'], namespace: ['AWS/EC2'] }],
      },
      event: { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/ES' },
      matches: false,
    },
    {
      name: '$or nested inside detail',
      pattern: {
        detail: {
          $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }],
        },
      },
      event: { detail: { 'detail-type': 'CloudWatch Alarm State Change' } },
      matches: true,
    },
  ]);
});

// EventBridge user guide, page eb-event-patterns-content-based-filtering
// ("Complex example with multiple matching")
describe('matchesPattern: the complex example (eb-event-patterns-content-based-filtering)', () => {
  const pattern = {
    time: [{ prefix: '2017-10-02' }],
    detail: {
      state: [{ 'anything-but': 'initializing' }],
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ 'anything-but': [100, 200, 300] }],
      'source-ip': [{ cidr: '10.0.0.0/8' }],
    },
  };
  const event = {
    time: '2017-10-02T16:24:49Z',
    detail: { 'c-count': 5, 'd-count': 3, 'x-limit': 301.8, 'source-ip': '10.0.0.33', state: 'running' },
  };
  table([
    { name: 'matches the event-ruler sample event', pattern, event, matches: true },
    {
      name: 'does not match once one field fails (x-limit 300)',
      pattern,
      event: { ...event, detail: { ...event.detail, 'x-limit': 300 } },
      matches: false,
    },
  ]);
});

describe('matchesPattern: the Pulsecast envelope', () => {
  it('routes a Post Failed event by source, detail-type and a detail field', () => {
    // prepare
    const pattern = { source: ['pulsecast'], 'detail-type': ['Post Failed'], detail: { platform: ['x'] } };
    const event = {
      version: '0',
      source: 'pulsecast',
      'detail-type': 'Post Failed',
      detail: { platform: 'x', reason: 'rate limited' },
    };
    // act / assert
    expect(matchesPattern(pattern, event)).toBe(true);
    expect(matchesPattern(pattern, { ...event, 'detail-type': 'Post Published' })).toBe(false);
  });
});

// event-ruler README, "Compiled rules and JSON keys with dots": keys are joined with dots when
// rules and events are flattened, so a dot in a key and a level of nesting are the same thing.
describe('matchesPattern: field names with dots (event-ruler flattens keys with dots)', () => {
  table([
    {
      name: 'a pattern key "a.b" matches an event field literally named "a.b"',
      pattern: { 'a.b': [1] },
      event: { 'a.b': 1 },
      matches: true,
    },
    {
      name: 'a pattern key "a.b" also matches b nested inside a',
      pattern: { 'a.b': [1] },
      event: { a: { b: 1 } },
      matches: true,
    },
    {
      name: 'a nested pattern a → b also matches an event field named "a.b"',
      pattern: { a: { b: [1] } },
      event: { 'a.b': 1 },
      matches: true,
    },
    {
      name: 'the README rule { detail: { "state.status": ["running"] } } matches the nested event',
      pattern: { detail: { 'state.status': ['running'] } },
      event: { detail: { state: { status: 'running' } } },
      matches: true,
    },
    {
      name: 'the README rule matches the event with the dotted key',
      pattern: { detail: { 'state.status': ['running'] } },
      event: { detail: { 'state.status': 'running' } },
      matches: true,
    },
    {
      name: 'a dotted key still compares the value',
      pattern: { 'a.b': [1] },
      event: { a: { b: 2 }, 'a.c': 1 },
      matches: false,
    },
    {
      name: 'a dotted key is not a prefix of a longer path',
      pattern: { 'a.b': [1] },
      event: { a: { b: { c: 1 } } },
      matches: false,
    },
    {
      name: 'exists: false on "a.b" sees b nested inside a',
      pattern: { 'a.b': [{ exists: false }] },
      event: { a: { b: 1 } },
      matches: false,
    },
    {
      name: 'dotted and nested spellings in one array element match together',
      pattern: { employees: { 'name.first': ['Anna'], name: { last: ['Smith'] } } },
      event: { employees: [{ 'name.first': 'Anna', name: { last: 'Smith' } }] },
      matches: true,
    },
    {
      name: 'dotted and nested spellings from different array elements are not combined',
      pattern: { employees: { 'name.first': ['Anna'], name: { last: ['Smith'] } } },
      event: {
        employees: [
          { 'name.first': 'Anna', name: { last: 'Jones' } },
          { name: { first: 'Peter', last: 'Smith' } },
        ],
      },
      matches: false,
    },
  ]);
});

// event-ruler README, "The $or Primitive", and JsonRuleCompiler: a $or forks the fields named so
// far into one alternative per branch.
describe('matchesPattern: $or next to fields named outside it', () => {
  const alarm = {
    source: ['aws.cloudwatch'],
    detail: { state: ['ALARM'] },
    $or: [{ detail: { metric: ['CPUUtilization'] } }, { detail: { namespace: ['AWS/EC2'] } }],
  };
  const order = {
    items: { sku: ['A'] },
    $or: [{ items: { quantity: [1] } }, { rush: [true] }],
  };
  table([
    {
      name: 'the outer field and one branch hold (same parent object)',
      pattern: alarm,
      event: { source: 'aws.cloudwatch', detail: { state: 'ALARM', metric: 'CPUUtilization' } },
      matches: true,
    },
    {
      name: 'a branch alone is not enough when the outer field fails',
      pattern: alarm,
      event: { source: 'aws.cloudwatch', detail: { state: 'OK', metric: 'CPUUtilization' } },
      matches: false,
    },
    {
      name: 'the outer field alone is not enough when no branch holds',
      pattern: alarm,
      event: { source: 'aws.cloudwatch', detail: { state: 'ALARM', metric: 'DiskReadOps' } },
      matches: false,
    },
    {
      name: 'outer field and branch match in the same array element',
      pattern: order,
      event: { items: [{ sku: 'A', quantity: 1 }] },
      matches: true,
    },
    {
      name: 'outer field and branch from different array elements are not combined',
      pattern: order,
      event: {
        items: [
          { sku: 'A', quantity: 2 },
          { sku: 'B', quantity: 1 },
        ],
      },
      matches: false,
    },
    {
      name: 'the other branch needs no array element of its own',
      pattern: order,
      event: { items: [{ sku: 'A', quantity: 2 }], rush: true },
      matches: true,
    },
  ]);

  it.each([
    {
      name: 'the same field outside and inside a $or branch',
      pattern: { state: ['a'], $or: [{ state: ['b'] }, { other: ['c'] }] },
      path: 'state',
    },
    {
      name: 'the same nested field outside and inside a $or branch',
      pattern: { detail: { state: ['a'] }, $or: [{ detail: { state: ['b'] } }, { other: ['c'] }] },
      path: 'detail.state',
    },
    {
      name: 'the same field spelt once with a dot and once nested',
      pattern: { 'a.b': [1], a: { b: [2] } },
      path: 'a.b',
    },
  ])('refuses $name, since EventBridge would keep only one condition', ({ pattern, path }) => {
    // act
    const problems = validatePattern(pattern);

    // assert
    expect(problems).toEqual([
      expect.stringMatching(new RegExp(`^${path.replace('.', '\\.')}: named twice`)),
    ]);
    expect(() => compilePattern(pattern, 'rule OnState')).toThrow(/rule OnState cannot be matched locally/);
  });
});

// event-ruler's EqualsIgnoreCaseParser: each UTF-16 unit of the pattern matches its Java
// toLowerCase(Locale.ROOT) or toUpperCase(Locale.ROOT), one-to-many mappings included.
describe('matchesPattern: ignore-case operators on non-ASCII text (event-ruler, Java case mapping)', () => {
  const equals = (text: string) => ({ v: [{ 'equals-ignore-case': text }] });
  table([
    { name: '"ÄPFEL" matches "äpfel"', pattern: equals('ÄPFEL'), event: { v: 'äpfel' }, matches: true },
    {
      name: '"ÄPFEL" matches mixed case "äPfEl"',
      pattern: equals('ÄPFEL'),
      event: { v: 'äPfEl' },
      matches: true,
    },
    {
      name: '"ÄPFEL" does not match "apfel"',
      pattern: equals('ÄPFEL'),
      event: { v: 'apfel' },
      matches: false,
    },
    { name: 'Greek "ΟΔΟΣ" matches "οδοσ"', pattern: equals('ΟΔΟΣ'), event: { v: 'οδοσ' }, matches: true },
    {
      name: 'Greek "ΟΔΟΣ" does not match the final sigma in "οδος" (Σ is σ or Σ, not ς)',
      pattern: equals('ΟΔΟΣ'),
      event: { v: 'οδος' },
      matches: false,
    },
    {
      name: 'Greek "οδος" matches "ΟΔΟΣ" (ς upper-cases to Σ)',
      pattern: equals('οδος'),
      event: { v: 'ΟΔΟΣ' },
      matches: true,
    },
    {
      name: '"straße" matches "STRASSE" (ß upper-cases to SS)',
      pattern: equals('straße'),
      event: { v: 'STRASSE' },
      matches: true,
    },
    {
      name: '"STRASSE" does not match "straße"',
      pattern: equals('STRASSE'),
      event: { v: 'straße' },
      matches: false,
    },
    { name: 'Turkish dotless "ı" matches "I"', pattern: equals('ı'), event: { v: 'I' }, matches: true },
    { name: '"I" does not match dotless "ı"', pattern: equals('I'), event: { v: 'ı' }, matches: false },
    {
      name: '"istanbul" does not match "İSTANBUL" (İ is not the upper case of i)',
      pattern: equals('istanbul'),
      event: { v: 'İSTANBUL' },
      matches: false,
    },
    {
      name: '"İstanbul" matches "i̇stanbul" (İ lower-cases to i and a combining dot)',
      pattern: equals('İstanbul'),
      event: { v: 'i\u0307stanbul' },
      matches: true,
    },
    {
      name: '"İstanbul" does not match "istanbul"',
      pattern: equals('İstanbul'),
      event: { v: 'istanbul' },
      matches: false,
    },
    {
      name: 'a titlecase "ǅ" matches only its lower and upper case, not itself',
      pattern: equals('ǅ'),
      event: { v: 'ǅ' },
      matches: false,
    },
    { name: 'titlecase "ǅ" matches "Ǆ"', pattern: equals('ǅ'), event: { v: 'Ǆ' }, matches: true },
    {
      name: 'prefix with equals-ignore-case "ÄPF" matches "äpfelkuchen"',
      pattern: { v: [{ prefix: { 'equals-ignore-case': 'ÄPF' } }] },
      event: { v: 'äpfelkuchen' },
      matches: true,
    },
    {
      name: 'prefix with equals-ignore-case "straß" matches "STRASSENBAHN"',
      pattern: { v: [{ prefix: { 'equals-ignore-case': 'straß' } }] },
      event: { v: 'STRASSENBAHN' },
      matches: true,
    },
    {
      name: 'suffix with equals-ignore-case "ß" matches "FUSS"',
      pattern: { v: [{ suffix: { 'equals-ignore-case': 'ß' } }] },
      event: { v: 'FUSS' },
      matches: true,
    },
    {
      name: 'suffix with equals-ignore-case "Σ" does not match a final "ς"',
      pattern: { v: [{ suffix: { 'equals-ignore-case': 'Σ' } }] },
      event: { v: 'ΟΔΟς' },
      matches: false,
    },
    {
      name: 'anything-but equals-ignore-case "ΟΔΟΣ" excludes "οδοσ"',
      pattern: { v: [{ 'anything-but': { 'equals-ignore-case': ['ΟΔΟΣ'] } }] },
      event: { v: 'οδοσ' },
      matches: false,
    },
    {
      name: 'anything-but equals-ignore-case "ΟΔΟΣ" lets "οδος" through',
      pattern: { v: [{ 'anything-but': { 'equals-ignore-case': ['ΟΔΟΣ'] } }] },
      event: { v: 'οδος' },
      matches: true,
    },
    {
      name: 'anything-but equals-ignore-case "straße" excludes "STRASSE"',
      pattern: { v: [{ 'anything-but': { 'equals-ignore-case': 'straße' } }] },
      event: { v: 'STRASSE' },
      matches: false,
    },
  ]);

  it.each([
    { name: 'equals-ignore-case', pattern: equals('go 🚀') },
    { name: 'prefix with equals-ignore-case', pattern: { v: [{ prefix: { 'equals-ignore-case': '𐐀' } }] } },
    {
      name: 'anything-but equals-ignore-case',
      pattern: { v: [{ 'anything-but': { 'equals-ignore-case': ['🚀'] } }] },
    },
  ])('refuses $name with a character outside the Basic Multilingual Plane', ({ pattern }) => {
    expect(validatePattern(pattern).join('\n')).toContain('outside the Basic Multilingual Plane');
  });
});

describe('validatePattern', () => {
  it.each([
    { name: 'a pattern that is not an object', pattern: ['source'], problem: 'must be a JSON object' },
    { name: 'an empty pattern', pattern: {}, problem: 'empty pattern' },
    { name: 'a scalar instead of an array', pattern: { source: 'aws.ec2' }, problem: 'must be an array' },
    { name: 'an empty value array', pattern: { source: [] }, problem: 'empty array' },
    {
      name: 'an operator EventBridge rules do not have',
      pattern: { type: [{ contains: 'x' }] },
      problem: 'unsupported operator "contains"',
    },
    {
      name: 'two operators in one object',
      pattern: { v: [{ prefix: 'a', suffix: 'b' }] },
      problem: 'exactly one operator',
    },
    {
      name: 'consecutive wildcards',
      pattern: { v: [{ wildcard: 'a**b' }] },
      problem: 'consecutive wildcard',
    },
    {
      name: 'a backslash escaping a letter',
      pattern: { v: [{ wildcard: 'a\\b' }] },
      problem: 'may only escape',
    },
    {
      name: 'a mixed anything-but list',
      pattern: { v: [{ 'anything-but': ['a', 1] }] },
      problem: 'only strings or only numbers',
    },
    { name: 'anything-but null', pattern: { v: [{ 'anything-but': null }] }, problem: 'anything-but takes' },
    {
      name: 'anything-but numeric',
      pattern: { v: [{ 'anything-but': { numeric: ['>', 1] } }] },
      problem: 'unsupported anything-but operator "numeric"',
    },
    {
      name: 'a numeric range written upper bound first',
      pattern: { v: [{ numeric: ['<', 5, '>', 0] }] },
      problem: 'lower bound',
    },
    {
      name: 'a numeric range whose lower bound is above its upper bound',
      pattern: { v: [{ numeric: ['>', 10, '<=', 5] }] },
      problem: 'the lower bound 10 of a numeric range must be below its upper bound 5',
    },
    {
      name: 'a numeric range whose bounds are equal',
      pattern: { v: [{ numeric: ['>=', 5, '<=', 5] }] },
      problem: 'the lower bound 5 of a numeric range must be below its upper bound 5',
    },
    {
      name: 'an empty prefix inside anything-but',
      pattern: { v: [{ 'anything-but': { prefix: '' } }] },
      problem:
        'an empty prefix would exclude every string; EventBridge refuses it ("Null prefix/suffix not allowed")',
    },
    {
      name: 'an empty suffix inside anything-but',
      pattern: { v: [{ 'anything-but': { suffix: '' } }] },
      problem: 'an empty suffix would exclude every string',
    },
    {
      name: 'an unknown numeric operator',
      pattern: { v: [{ numeric: ['!=', 5] }] },
      problem: 'unknown numeric operator',
    },
    {
      name: 'a numeric bound beyond ±1e9',
      pattern: { v: [{ numeric: ['>', 5e9] }] },
      problem: '±1000000000',
    },
    {
      name: 'exists with a string',
      pattern: { v: [{ exists: 'yes' }] },
      problem: 'exists takes true or false',
    },
    { name: 'a bad cidr', pattern: { v: [{ cidr: '10.0.0.0/33' }] }, problem: 'cidr takes' },
    { name: 'prefix with a number', pattern: { v: [{ prefix: 1 }] }, problem: 'prefix takes a string' },
    { name: '$or with one branch', pattern: { $or: [{ a: ['1'] }] }, problem: 'at least two' },
    {
      name: '$or branches that are operators',
      pattern: { v: ['x'], $or: [{ numeric: 123 }, { prefix: 'abc' }] },
      problem: 'is an operator, not a field',
    },
  ])('refuses $name', ({ pattern, problem }) => {
    const problems = validatePattern(pattern);
    expect(problems.join('\n')).toContain(problem);
  });

  it('names the path of every problem', () => {
    // act
    const problems = validatePattern({ detail: { state: [{ contains: 'x' }], n: [{ numeric: ['>'] }] } });
    // assert
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^detail\.state\[0\]: /);
    expect(problems[1]).toMatch(/^detail\.n\[0\]\.numeric: /);
  });

  it('refuses a rule with an impossible numeric range at load time, naming the rule and the field', () => {
    // prepare
    const pattern = { detail: { amount: [{ numeric: ['>', 100, '<', 50] }] } };

    // act
    const load = () => compilePattern(pattern, 'rule OnBigOrder');

    // assert
    expect(load).toThrow(UnsupportedPatternError);
    expect(load).toThrow(
      /rule OnBigOrder cannot be matched locally:\n {2}- detail\.amount\[0\]\.numeric: the lower bound 100 of a numeric range must be below its upper bound 50/,
    );
  });

  it('makes matchesPattern and compilePattern throw instead of mis-matching', () => {
    const pattern = { detail: { state: [{ contains: 'x' }] } };
    expect(() => matchesPattern(pattern, { detail: { state: 'x' } })).toThrow(UnsupportedPatternError);
    expect(() => compilePattern(pattern, 'rule OnFailed')).toThrow(/rule OnFailed cannot be matched locally/);
  });
});
